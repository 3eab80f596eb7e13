// Who the written notices go to and how (Art 39, 50, 51, 54, 58, 62, 65, 74): e-commerce platforms and
// network supervision units (Art 51, 62), sampled operators, nominal producers and other regions' bureaus,
// each with its channels — a webhook (URL and shared secret), e-mail, a postal address. Loaded from a file
// (parties.json) and editable from the command line; every change is audited. A notice names recipient
// roles; here they become parties of its case, and a role that finds none, or a party without a channel,
// is an error the bureau sees — never a notice silently dropped.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/store/store.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::notices {

struct Party {
  std::string id;
  std::string kind;      // platform, network_supervision, operator, producer, bureau
  std::string name;
  std::string platform;  // platform and network_supervision: the platform code it stands for (empty: any)
  std::string region;    // bureau: the region it covers, as addresses begin ("广东省", "广东省佛山市")
  std::string webhook_url, webhook_secret, email, postal_address;
  bool electronic() const { return !webhook_url.empty() || !email.empty(); }
  bool reachable() const { return electronic() || !postal_address.empty(); }
  nlohmann::json to_json() const;  // the secret only as "set"
};

// {"parties": [{"id", "kind", "name", "platform"?, "region"?, "webhook": {"url", "secret"}?, "email"?,
// "postal_address"?}, ...]}; errors name "parties[2].webhook.secret" and the rule.
Result<std::vector<Party>> parse_parties(const nlohmann::json& file);

// A recipient role of a notice, resolved for its case.
struct Addressee {
  std::string role;             // operator, producer, platform, network_supervision, producer_region_bureau, applicant
  std::optional<Party> party;   // none found: `problem` says why
  std::string problem;
  nlohmann::json to_json() const;
};

class PartyRegistry {
 public:
  explicit PartyRegistry(store::Store& store) : store_(&store) {}

  struct Change {
    int added = 0, updated = 0, unchanged = 0;
  };
  // Adds or replaces parties by id; one transaction, audited.
  Result<Change> put(const std::vector<Party>& parties, const std::string& actor);
  Result<std::vector<Party>> list();
  Result<Party> get(const std::string& id);

  // Every party row against its last audited add or update, so a webhook URL, address or e-mail changed in
  // the database by hand (notices would go elsewhere) is named; one line per problem, empty when all match.
  // The secret is compared as set or not set only: its value is never written to the audit log.
  Result<std::vector<std::string>> verify_records();

  // The notice's recipient roles for its case: operator and producer by the case's names, platform and
  // network supervision by the case's platform (a unit without a platform serves all), the producer's
  // region's bureau by the longest region its address begins with, the applicant (Art 52-58) by the
  // event's "applicant" field.
  Result<std::vector<Addressee>> resolve(const workflow::NoticeView& notice, const workflow::CaseView& view);

 private:
  store::Store* store_;
};

}  // namespace netsample::notices
