#include "server/compat_auth.hpp"

#include <spdlog/spdlog.h>

#include "auth/ayame_webhook.hpp"

namespace sb::server {
namespace {

class AyameAuthn final : public signaling::ayame::Authn {
 public:
  AyameAuthn(std::shared_ptr<net::AccessControl> access, const net::WsUpgrade& upgrade)
      : access_(std::move(access)),
        ip_(upgrade.remote),
        io_(*upgrade.io),
        pending_(access_->pending().try_add(ip_)) {}
  ~AyameAuthn() override { on_admitted(); }

  bool ask(const signaling::ayame::msg::Register& r, std::string_view client_id,
           std::string_view connection_id, std::weak_ptr<signaling::Member> member) override {
    if (access_->blocked(ip_)) {
      // An address that failed too often is refused without asking, as for protocol v1.
      if (auto m = member.lock()) {
        m->deliver(signaling::event::Refused{std::string(connection_id), signaling::ErrorCode::auth_blocked,
                                             std::string(auth::kAyameWebhookFailure)});
      }
      return true;
    }
    auto done = [access = std::weak_ptr<net::AccessControl>(access_), member = std::move(member),
                 id = std::string(connection_id), ip = ip_](auth::WebhookReply reply) {
      auto strong = access.lock();
      if (!strong) return;
      auto decision = auth::read_ayame_authn_reply(reply, strong->options().settings.webhook);
      signaling::Event event;
      if (auto* denial = std::get_if<signaling::Denial>(&decision)) {
        strong->record_failure(ip);
        spdlog::info("auth: the webhook refused an Ayame register from {}: {}{}{}", ip.to_string(),
                     signaling::to_string(denial->code), reply.error.empty() ? "" : ": ", reply.error);
        event = signaling::event::Refused{id, denial->code, std::move(denial->message)};
      } else {
        event = signaling::event::Granted{id, std::move(std::get<signaling::Grant>(decision))};
      }
      if (auto m = member.lock()) m->deliver(std::move(event));
    };
    return access_->webhook()->post(io_, auth::ayame_authn_body(r, client_id, connection_id),
                                    io_.get_executor(), std::move(done));
  }

  void on_admitted() override {
    if (pending_) access_->pending().remove(ip_);
    pending_ = false;
  }
  void on_deadline() override { access_->record_failure(ip_); }

 private:
  std::shared_ptr<net::AccessControl> access_;
  util::IpAddress ip_;
  boost::asio::io_context& io_;
  bool pending_;  // counted in access_->pending() until admitted
};

}  // namespace

std::unique_ptr<signaling::ayame::Authn> make_ayame_authn(std::shared_ptr<net::AccessControl> access,
                                                          const net::WsUpgrade& upgrade) {
  return std::make_unique<AyameAuthn>(std::move(access), upgrade);
}

}  // namespace sb::server
