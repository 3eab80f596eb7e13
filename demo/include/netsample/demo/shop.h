// The demo shop: a small e-commerce site served on 127.0.0.1 with Chinese pages and deterministic data —
// search results, a product page, the operator's licence (营业执照) page, checkout with an order number,
// payment and a customer-service chat. It is what the README demo and the purchase tests buy from when no
// real platform is reachable (Art 35's steps each have a page). Every value a purchase step records has a
// stable element id, so a scripted browser can read it back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"

namespace netsample::demo {

struct ShopOrder {
  std::string number;  // DS + Beijing date + 4-digit sequence, e.g. DS202611240001
  std::string item_id;
  int quantity = 0;
  std::int64_t amount_cents = 0;
  std::string buyer_account, address, contact;
  UtcTime placed_at;
  std::optional<UtcTime> paid_at;
  std::string payment_method, paying_account;
  nlohmann::json to_json() const;
};

class DemoShop {
 public:
  // Serves on 127.0.0.1 (port 0: any free port). `clock` stamps orders and payments; it must outlive the shop.
  static Result<std::unique_ptr<DemoShop>> start(const Clock& clock, int port = 0);
  ~DemoShop();
  DemoShop(const DemoShop&) = delete;
  DemoShop& operator=(const DemoShop&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT/"
  int port() const;
  std::vector<ShopOrder> orders() const;
  // The catalogue as served (shop, operator, products).
  static const nlohmann::json& catalogue();

 private:
  struct Server;
  explicit DemoShop(std::unique_ptr<Server> server);
  std::unique_ptr<Server> server_;
};

// "129.00" from 12900.
std::string format_yuan(std::int64_t cents);

}  // namespace netsample::demo
