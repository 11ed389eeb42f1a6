// Reading an RTCPeerConnection's getStats() (W3C webrtc-stats).

// The candidate pair ICE selected, as {local, remote, protocol, relayProtocol, localAddress, remoteAddress},
// where local/remote are candidate types: 'host', 'srflx', 'prflx' or 'relay'. null until one is selected.
export async function selectedPair(pc) {
  const report = await pc.getStats();
  let pair = null;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
  });
  if (!pair) {
    // Older stats implementations have no transport.selectedCandidatePairId.
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
    });
  }
  if (!pair) return null;
  const local = report.get(pair.localCandidateId);
  const remote = report.get(pair.remoteCandidateId);
  if (!local || !remote) return null;
  return {
    local: local.candidateType,
    remote: remote.candidateType,
    protocol: local.protocol,
    relayProtocol: local.relayProtocol || null,
    localAddress: `${local.address}:${local.port}`,
    remoteAddress: `${remote.address}:${remote.port}`,
  };
}

// Inbound RTP counters per kind, for the page's own use and for tests.
export async function inboundCounters(pc) {
  const report = await pc.getStats();
  const out = { video: null, audio: null };
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      out.video = { framesDecoded: s.framesDecoded || 0, packetsReceived: s.packetsReceived || 0,
        bytesReceived: s.bytesReceived || 0, frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0 };
    } else if (s.kind === 'audio') {
      out.audio = { totalSamplesReceived: s.totalSamplesReceived || 0, packetsReceived: s.packetsReceived || 0,
        bytesReceived: s.bytesReceived || 0 };
    }
  });
  return out;
}
