#include "client/ice_restart.hpp"

#define GST_USE_UNSTABLE_API  // GstWebRTC headers are marked unstable in 1.22
#include <gst/webrtc/ice.h>
#include <gst/webrtc/icestream.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

#include <functional>
#include <string_view>

#include "client/gst_util.hpp"
#include "util/random.hpp"

namespace sb::client {
namespace {

// RFC 8839 section 5.4: ice-char = ALPHA / DIGIT / "+" / "/".
std::string ice_chars(std::size_t n) {
  static constexpr std::string_view kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(kChars[util::random_uniform(0, kChars.size() - 1)]);
  return out;
}

void replace_in(std::size_t count, const std::function<const GstSDPAttribute*(guint)>& get,
                const std::function<void(guint, const char*, const char*)>& replace, const IceCredentials& c) {
  for (guint i = 0; i < count; ++i) {
    const GstSDPAttribute* a = get(i);
    if (!a || !a->key) continue;
    const std::string_view key = a->key;
    if (key == "ice-ufrag") replace(i, "ice-ufrag", c.ufrag.c_str());
    if (key == "ice-pwd") replace(i, "ice-pwd", c.pwd.c_str());
  }
}

// The NiceAgent under webrtcbin (a new reference), or null.
NiceAgent* nice_agent_of(GstElement* webrtc) {
  GstWebRTCICE* ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
  if (!ice) return nullptr;
  NiceAgent* agent = nullptr;
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) g_object_get(ice, "agent", &agent, nullptr);
  gst_object_unref(ice);
  return agent;
}

// An object property of `object` (a new reference), or null when it has no such property or it is unset.
GObject* object_property(gpointer object, const char* name) {
  if (!object || !g_object_class_find_property(G_OBJECT_GET_CLASS(object), name)) return nullptr;
  GObject* value = nullptr;
  g_object_get(object, name, &value, nullptr);
  return value;
}

// The libnice stream id of the first transceiver's transport (transceiver → sender → DTLS transport → ICE
// transport → stream), or 0.
guint bundle_stream_id(GstElement* webrtc) {
  GstWebRTCRTPTransceiver* trans = nullptr;
  g_signal_emit_by_name(webrtc, "get-transceiver", 0, &trans);
  GObject* sender = object_property(trans, "sender");
  GObject* dtls = object_property(sender, "transport");
  GObject* ice = object_property(dtls, "transport");
  GObject* stream = object_property(ice, "stream");
  guint id = 0;
  if (stream) g_object_get(stream, "stream-id", &id, nullptr);
  for (GObject* o : {stream, ice, dtls, sender}) {
    if (o) g_object_unref(o);
  }
  if (trans) gst_object_unref(trans);
  return id;
}

}  // namespace

IceCredentials fresh_ice_credentials() { return {ice_chars(16), ice_chars(32)}; }

std::optional<std::string> ice_ufrag(const GstSDPMessage* sdp) {
  for (guint i = 0; i < gst_sdp_message_medias_len(sdp); ++i) {
    if (const gchar* u = gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(sdp, i), "ice-ufrag")) return u;
  }
  if (const gchar* u = gst_sdp_message_get_attribute_val(sdp, "ice-ufrag")) return u;
  return std::nullopt;
}

void set_ice_credentials(GstSDPMessage* sdp, const IceCredentials& creds) {
  replace_in(gst_sdp_message_attributes_len(sdp), [&](guint i) { return gst_sdp_message_get_attribute(sdp, i); },
             [&](guint i, const char* key, const char* value) {
               GstSDPAttribute attr;
               gst_sdp_attribute_set(&attr, key, value);
               gst_sdp_message_replace_attribute(sdp, i, &attr);
             },
             creds);
  for (guint m = 0; m < gst_sdp_message_medias_len(sdp); ++m) {
    auto* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(sdp, m));
    replace_in(gst_sdp_media_attributes_len(media), [&](guint i) { return gst_sdp_media_get_attribute(media, i); },
               [&](guint i, const char* key, const char* value) {
                 GstSDPAttribute attr;
                 gst_sdp_attribute_set(&attr, key, value);
                 gst_sdp_media_replace_attribute(media, i, &attr);
               },
               creds);
  }
}

bool restart_ice_agent(GstElement* webrtc) {
  NiceAgent* agent = nice_agent_of(webrtc);
  if (!agent) return false;
  const bool ok = nice_agent_restart(agent);
  g_object_unref(agent);
  return ok;
}

std::vector<std::pair<unsigned, std::string>> local_ice_candidates(GstElement* webrtc) {
  std::vector<std::pair<unsigned, std::string>> out;
  NiceAgent* agent = nice_agent_of(webrtc);
  const guint stream = bundle_stream_id(webrtc);
  if (!agent || stream == 0) {
    if (agent) g_object_unref(agent);
    return out;
  }
  GSList* list = nice_agent_get_local_candidates(agent, stream, NICE_COMPONENT_TYPE_RTP);
  for (GSList* i = list; i; i = i->next) {
    gst::GCharPtr line(nice_agent_generate_local_candidate_sdp(agent, static_cast<NiceCandidate*>(i->data)));
    std::string_view text = line ? std::string_view(line.get()) : std::string_view();
    if (text.starts_with("a=")) text.remove_prefix(2);  // "a=candidate:..." → "candidate:..."
    if (!text.empty()) out.emplace_back(0, std::string(text));
  }
  g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  g_object_unref(agent);
  return out;
}

}  // namespace sb::client
