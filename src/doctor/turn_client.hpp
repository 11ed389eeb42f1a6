// The client side of STUN Binding and TURN as the doctor uses them, on the project's STUN codec. No I/O:
// requests are built here, the native client (src/client/doctor_io.*) sends them and hands the answers
// back. Long-term credentials as RFC 8489 §9.2.3 and RFC 8656 §7.1 describe them: the first Allocate goes
// unsigned, a 401 with REALM and NONCE is answered by signing every later request, and 438 Stale Nonce
// refreshes the nonce.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "stun/address.hpp"
#include "stun/message.hpp"

namespace sb::doctor {

// Binding request (RFC 8489 §6.1), with CHANGE-REQUEST (RFC 5780 §7.2) when either flag is set.
stun::Message binding_request(bool change_ip = false, bool change_port = false);
// The mapped address of a Binding success: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS.
std::optional<stun::TransportAddress> mapped_address(const stun::MessageView& response);
// OTHER-ADDRESS (RFC 5780 §7.4) of a Binding success, when the server does behaviour discovery.
std::optional<stun::TransportAddress> other_address(const stun::MessageView& response);

// 0 for a success response, the ERROR-CODE of an error response (500 when it has none).
int response_code(const stun::MessageView& response);

// One TURN client's credentials and what it learnt from the server's challenge.
class TurnAuth {
 public:
  TurnAuth(std::string username, std::string password);

  // Adds USERNAME, REALM, NONCE and MESSAGE-INTEGRITY once the challenge is known (nothing before).
  void sign(stun::Message& request) const;

  // Reads the answer to a request. `retry` is true when it was the challenge (401 with REALM and NONCE,
  // the first time only) or 438 with a fresh NONCE: send the request again, signed, with a new id.
  struct Outcome {
    int code = 0;  // response_code(); meaningful when !retry
    bool retry = false;
  };
  Outcome read(const stun::MessageView& response);
  bool challenged() const { return !realm_.empty(); }

 private:
  std::string username_, password_, realm_, nonce_;
  bool answered_401_ = false;
};

// RFC 8656 requests. Each has a fresh random transaction id; sign() them before sending.
stun::Message allocate_request();  // REQUESTED-TRANSPORT UDP
stun::Message refresh_request(std::uint32_t lifetime_s);  // 0 deletes the allocation
stun::Message create_permission_request(const stun::TransportAddress& peer);
// Send indication (§11.1): never signed, never answered.
stun::Message send_indication(const stun::TransportAddress& peer, std::span<const std::uint8_t> data);

// XOR-RELAYED-ADDRESS of an Allocate success.
std::optional<stun::TransportAddress> relayed_address(const stun::MessageView& response);

// A Data indication's peer and payload (§11.4); nullopt for any other message. The span points into
// the message's bytes.
struct DataIndication {
  stun::TransportAddress peer;
  std::span<const std::uint8_t> data;
};
std::optional<DataIndication> read_data_indication(const stun::MessageView& m);

}  // namespace sb::doctor
