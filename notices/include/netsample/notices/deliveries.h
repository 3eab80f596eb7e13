// Delivering what the lifecycle's outbox owes: one delivery per notice, addressee and channel, each with an
// idempotency key that every attempt repeats. An attempt is written down before it is sent and its receipt after,
// so a worker killed in between sends again with the same key: a webhook receiver sees a repeat, not a second
// notice (exactly once from its side); an SMTP server does not deduplicate, so e-mail is at least once, its receipt
// the server's own queue id. Each attempt is leased by the worker that claimed it (host, pid and the process's start
// time): a second worker skips it until the lease runs out or the holder, on the same host, is gone. Failed attempts back off
// exponentially with jitter; after `max_attempts` the delivery is dead (dead letter) for a person to see.
// Written delivery (registered mail) is marked by hand: posted with its number, received with the date —
// the receipt date is what starts the objection period (Art 52).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/notices/document.h"
#include "netsample/notices/parties.h"
#include "netsample/store/store.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::notices {

struct Delivery {
  std::int64_t id = 0;
  std::int64_t notice_id = 0;
  std::string case_number, kind;
  int article = 0;
  std::string role, party_id, channel;  // channel: webhook, email, post
  std::string idempotency_key;
  std::string state;  // pending, sending, retrying, delivered, dead, posted, received, returned
  int attempts = 0;
  UtcTime next_attempt;
  std::string last_error;
  nlohmann::json receipt;  // delivered: status, time, response digest; post: number, received date
  nlohmann::json to_json() const;
};

struct DeliveryPolicy {
  int max_attempts = 6;
  // How long a claimed attempt is the claimer's alone: longer than the longest send (SMTP: 60 s).
  std::chrono::seconds lease{std::chrono::minutes(5)};
  std::chrono::seconds first_backoff{60};
  std::chrono::seconds max_backoff{std::chrono::hours(6)};
};

// What one attempt came to, as the sender saw it.
struct AttemptOutcome {
  bool delivered = false;
  long status = 0;               // HTTP status, SMTP reply code
  std::string response_sha256;   // digest of what the receiver answered
  std::string error;             // why not, for a person
  std::string server_reply;      // e-mail: the SMTP server's reply to the message ("250 2.0.0 Ok: queued as 4XyZ")
  std::string queue_id;          // e-mail: the server's id for the message, from that reply, when it gives one
};

// The notice's state as a bureau reads it: every addressee's deliveries together.
struct NoticeStatus {
  workflow::NoticeView notice;
  std::vector<Addressee> addressees;
  std::vector<Delivery> deliveries;
  std::string state;  // owed, unaddressed (an addressee cannot be reached: see problems), sending, delivered, dead, refused
  std::vector<std::string> problems;
  nlohmann::json to_json() const;
};

// Sends one delivery (its `attempts` counts this one). The real sender posts webhooks with libcurl and
// mails with libcurl's SMTP.
using Sender = std::function<AttemptOutcome(const Delivery&, const Party&, const workflow::NoticeView&, const NoticeFiles&)>;

struct DeliverReport {
  int sent = 0, delivered = 0, retrying = 0, dead = 0;
  int skipped = 0;  // due, but another worker holds the attempt
  std::vector<std::string> handed_over;  // cases handed to enforcement (Art 73)
  std::vector<std::string> lines;  // for a person
};

class Deliveries {
 public:
  // REQUIRES: all three outlive this object.
  // `email`: whether e-mail can be sent (an SMTP server is configured); without it e-mail addresses are
  // not planned, and said.
  Deliveries(store::Store& store, workflow::Lifecycle& lifecycle, PartyRegistry& parties, DeliveryPolicy policy = {}, bool email = false)
      : store_(&store), lifecycle_(&lifecycle), parties_(&parties), policy_(policy), email_(email) {}

  // Writes each addressable notice's document and creates the deliveries it needs (each addressee's
  // webhook and e-mail; post is marked by hand). A publication (Art 62) only after the organizer approved it.
  Status plan();
  // Every notice with its addressees, deliveries, state and problems.
  Result<std::vector<NoticeStatus>> statuses(const std::optional<std::string>& case_number = {});
  Result<std::vector<Delivery>> due(UtcTime now);

  // Claims the attempt and writes it down before it is sent (committed): a crash after this sends again with the
  // same key. False when another worker holds it or it is no longer due.
  Result<bool> begin_attempt(std::int64_t delivery_id);
  // Written after: delivered with its receipt, or retrying after a backoff, or dead after max_attempts.
  Result<Delivery> finish_attempt(std::int64_t delivery_id, const AttemptOutcome& outcome);

  // Registered mail (written delivery): posted with its number; received on a date (Art 52 starts there:
  // for a nonconforming result the case records notice_received for that recipient).
  Result<Delivery> mark_posted(std::int64_t notice_id, const std::string& party_id, const std::string& registered_number, const std::string& actor);
  Result<Delivery> mark_received(std::int64_t notice_id, const std::string& party_id, const std::string& date, const std::string& actor);

  // The registered letter came back (refused, moved, no such addressee).
  Result<Delivery> mark_returned(std::int64_t notice_id, const std::string& party_id, const std::string& reason, const std::string& actor);

  // Art 73: a nonconforming result that cannot reach the sampled operator — its letter came back, or every
  // electronic channel is dead and it has no postal address — hands the case to enforcement
  // (operator_unreachable, with the attempts listed). Returns the cases handed over now.
  Result<std::vector<std::string>> hand_over_unreachable();

  Result<Delivery> get(std::int64_t delivery_id);

  // One pass of the worker: plan, then every due delivery through `send` (attempt written before, receipt after).
  Result<DeliverReport> deliver(const Sender& send, UtcTime now);

  // One notice owed (not_found naming "notice" for an unknown id).
  Result<workflow::NoticeView> notice(std::int64_t notice_id);

 private:
  Result<std::vector<Delivery>> query(const std::string& where, std::int64_t key);

  store::Store* store_;
  workflow::Lifecycle* lifecycle_;
  PartyRegistry* parties_;
  DeliveryPolicy policy_;
  bool email_;
};

// Every delivery's state and receipt (a received date starts the Art 52 window) and every notice's documents against
// their audit rows: a delivery or document inserted, deleted or edited by hand is named. One line per problem.
// Attempts, retry times and leases are the worker's bookkeeping, not facts: they are not compared.
Result<std::vector<std::string>> verify_delivery_records(store::Store& store);

// The delivery worker (`notices deliver`, the service's background job): rounds of deliver() a second apart
// until nothing is left to send — every delivery delivered or dead — or after one round when `once`, or as
// soon as `stop` says so. Each round's lines go to `on_line` as they are written.
Status run_delivery_worker(Deliveries& deliveries, const Sender& send, const Clock& clock, bool once, const std::function<bool()>& stop,
                           const std::function<void(const std::string&)>& on_line);

}  // namespace netsample::notices
