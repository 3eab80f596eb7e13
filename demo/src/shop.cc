#include "netsample/demo/shop.h"

#include <cstdio>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "licence_image.h"

namespace netsample::embedded {
extern const std::string_view demo_shop_json;
}

namespace netsample::demo {
namespace {

using nlohmann::json;

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string field(const json& j, const char* key) { return escape(j.value(key, "")); }

// Every page: the shop's header, a search box, and the body. Large type: it is read on a recording.
std::string page(const std::string& title, const std::string& body) {
  const json& shop = DemoShop::catalogue()["shop"];
  return R"(<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>)" + escape(title) + R"(</title><style>
body { margin: 0; font: 22px "Noto Sans CJK SC", sans-serif; color: #222; background: #f6f6f6; }
header { background: #c81623; color: #fff; padding: 14px 32px; display: flex; gap: 32px; align-items: center; }
header a { color: #fff; text-decoration: none; font-weight: bold; }
main { margin: 24px 32px; background: #fff; padding: 24px 32px; border-radius: 8px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 8px 14px; text-align: left; }
.price { color: #c81623; font-size: 30px; } .button { background: #c81623; color: #fff; border: 0; padding: 10px 28px;
font-size: 22px; border-radius: 6px; cursor: pointer; text-decoration: none; } input, select { font-size: 22px; padding: 6px; }
.msg { margin: 8px 0; } .buyer { color: #1d4ed8; } .shop { color: #047857; }
</style></head><body><header><a href="/">)" + field(shop, "platform") + R"(</a><span id="shop-name">)" + field(shop, "name") +
         R"(</span><form action="/search" method="get"><input id="q" name="q" placeholder="搜索商品"> <button class="button" id="search-button">搜索</button></form>
<a href="/licence" id="licence-link">店铺资质</a><a href="/chat" id="chat-link">联系客服</a></header><main>)" +
         body + "</main></body></html>";
}

const json* find_product(const std::string& id) {
  for (const auto& p : DemoShop::catalogue()["products"])
    if (p.value("id", "") == id) return &p;
  return nullptr;
}

std::string beijing_date_digits(UtcTime t) {
  std::string date = format_beijing(t).substr(0, 10);  // "2026-11-24"
  date.erase(std::remove(date.begin(), date.end(), '-'), date.end());
  return date;
}

void bad_request(httplib::Response& res, const std::string& field_name, const std::string& rule) {
  res.status = 400;
  res.set_content(page("输入有误", "<h1>输入有误</h1><p id=\"error\">字段 " + escape(field_name) + "：" + escape(rule) +
                                       "</p><p><a href=\"javascript:history.back()\">返回修改</a></p>"),
                  "text/html; charset=utf-8");
}

}  // namespace

std::string format_yuan(std::int64_t cents) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%02lld", static_cast<long long>(cents / 100), static_cast<long long>(cents % 100));
  return text;
}

json ShopOrder::to_json() const {
  return {{"number", number},
          {"item_id", item_id},
          {"quantity", quantity},
          {"amount", format_yuan(amount_cents)},
          {"buyer_account", buyer_account},
          {"address", address},
          {"contact", contact},
          {"placed_at", format_iso8601_beijing(placed_at)},
          {"paid_at", paid_at ? json(format_iso8601_beijing(*paid_at)) : json(nullptr)},
          {"payment_method", payment_method},
          {"paying_account", paying_account}};
}

const json& DemoShop::catalogue() {
  static const json data = json::parse(embedded::demo_shop_json);
  return data;
}

struct DemoShop::Server {
  const Clock* clock = nullptr;
  httplib::Server http;
  int port = 0;
  std::thread thread;
  mutable std::mutex mutex;
  std::vector<ShopOrder> orders;
  std::vector<std::pair<std::string, std::string>> chat;  // (who, text)

  ShopOrder* find_order(const std::string& number) {
    for (auto& o : orders)
      if (o.number == number) return &o;
    return nullptr;
  }
  void routes();
};

void DemoShop::Server::routes() {
  auto html = [](httplib::Response& res, const std::string& content) { res.set_content(content, "text/html; charset=utf-8"); };

  http.Get("/", [html](const httplib::Request&, httplib::Response& res) {
    html(res, page("首页", "<h1>欢迎光临</h1><p>在上方搜索框输入商品名称，例如“电热水壶”。</p>"));
  });

  http.Get("/search", [html](const httplib::Request& req, httplib::Response& res) {
    const std::string query = req.get_param_value("q");
    std::string rows;
    for (const auto& p : catalogue()["products"])
      if (query.empty() || p.value("title", "").find(query) != std::string::npos)
        rows += "<tr><td><a class=\"result\" data-id=\"" + field(p, "id") + "\" href=\"/item/" + field(p, "id") + "\">" + field(p, "title") +
                "</a></td><td class=\"price\">¥" + format_yuan(p.value("price_cents", 0)) + "</td></tr>";
    html(res, page("搜索：" + query, "<h1>搜索结果：<span id=\"query\">" + escape(query) + "</span></h1>" +
                                        (rows.empty() ? "<p id=\"no-results\">没有找到相关商品</p>" : "<table id=\"results\">" + rows + "</table>")));
  });

  http.Get(R"(/item/([A-Za-z0-9-]+))", [html](const httplib::Request& req, httplib::Response& res) {
    const json* p = find_product(req.matches[1]);
    if (!p) {
      res.status = 404;
      html(res, page("商品不存在", "<h1>商品不存在或已下架</h1>"));
      return;
    }
    html(res, page(p->value("title", ""),
                   "<h1 id=\"title\">" + field(*p, "title") + "</h1><p class=\"price\">¥<span id=\"price\">" +
                       format_yuan(p->value("price_cents", 0)) + "</span></p><table>" +
                       "<tr><th>品牌（商标）</th><td id=\"trademark\">" + field(*p, "trademark") + "</td></tr>" +
                       "<tr><th>型号</th><td id=\"model\">" + field(*p, "model") + "</td></tr>" +
                       "<tr><th>规格</th><td id=\"spec\">" + field(*p, "spec") + "</td></tr>" +
                       "<tr><th>生产者</th><td id=\"producer\">" + field(*p, "producer") + "</td></tr>" +
                       "<tr><th>生产者地址</th><td id=\"producer-address\">" + field(*p, "producer_address") + "</td></tr>" +
                       "<tr><th>执行标准</th><td id=\"standard\">" + field(*p, "standard") + "</td></tr>" +
                       "<tr><th>3C 证书编号</th><td id=\"ccc\">" + (p->contains("ccc_certificate") ? field(*p, "ccc_certificate") : std::string("—")) + "</td></tr></table>" +
                       "<form action=\"/checkout\" method=\"get\"><input type=\"hidden\" name=\"item\" value=\"" + field(*p, "id") +
                       "\"><p>数量 <input id=\"qty\" name=\"qty\" type=\"number\" min=\"1\" max=\"20\" value=\"1\"> "
                       "<button class=\"button\" id=\"buy-button\">立即购买</button></p></form>"));
  });

  // The licence as shops show it: a picture (E-Commerce Law art 15), which the crawler reads by OCR.
  http.Get("/licence", [html](const httplib::Request&, httplib::Response& res) {
    html(res, page("营业执照信息", "<h1>营业执照信息</h1><p>以下为本店经营者的营业执照（图片）。</p>"
                                    "<img id=\"licence-image\" src=\"/licence.png\" width=\"1100\" height=\"760\" alt=\"营业执照\">"));
  });
  http.Get("/licence.png", [](const httplib::Request&, httplib::Response& res) {
    static const std::string png = licence_png(catalogue()["shop"]["operator"]);
    res.set_content(png, "image/png");
  });

  http.Get("/checkout", [html](const httplib::Request& req, httplib::Response& res) {
    const json* p = find_product(req.get_param_value("item"));
    if (!p) return bad_request(res, "item", "没有这个商品");
    const std::string qty = req.has_param("qty") ? req.get_param_value("qty") : "1";
    html(res, page("确认订单", "<h1>确认订单</h1><p>" + field(*p, "title") + "　单价 ¥" + format_yuan(p->value("price_cents", 0)) +
                                   "</p><form action=\"/order\" method=\"post\"><input type=\"hidden\" name=\"item\" value=\"" + field(*p, "id") +
                                   "\"><table><tr><th>数量</th><td><input id=\"order-qty-input\" name=\"qty\" value=\"" + escape(qty) +
                                   "\"></td></tr><tr><th>买家账号</th><td><input id=\"buyer-input\" name=\"buyer\"></td></tr>"
                                   "<tr><th>收货地址</th><td><input id=\"address-input\" name=\"address\" size=\"40\"></td></tr>"
                                   "<tr><th>收货人及电话</th><td><input id=\"contact-input\" name=\"contact\" size=\"30\"></td></tr></table>"
                                   "<p><button class=\"button\" id=\"submit-order\">提交订单</button></p></form>"));
  });

  http.Post("/order", [this](const httplib::Request& req, httplib::Response& res) {
    const json* p = find_product(req.get_param_value("item"));
    if (!p) return bad_request(res, "item", "没有这个商品");
    int qty = 0;
    try {
      qty = std::stoi(req.get_param_value("qty"));
    } catch (...) {
    }
    if (qty < 1 || qty > 20) return bad_request(res, "qty", "数量应为 1 到 20 的整数");
    for (const char* name : {"buyer", "address", "contact"})
      if (req.get_param_value(name).empty()) return bad_request(res, name, "不能为空");
    std::lock_guard lock(mutex);
    ShopOrder order;
    order.placed_at = clock->now();
    char sequence[8];
    std::snprintf(sequence, sizeof sequence, "%04zu", orders.size() + 1);
    order.number = "DS" + beijing_date_digits(order.placed_at) + sequence;
    order.item_id = p->value("id", "");
    order.quantity = qty;
    order.amount_cents = qty * p->value("price_cents", std::int64_t{0});
    order.buyer_account = req.get_param_value("buyer");
    order.address = req.get_param_value("address");
    order.contact = req.get_param_value("contact");
    orders.push_back(order);
    res.set_redirect("/order/" + order.number, 303);
  });

  http.Get(R"(/order/(DS\d+))", [this, html](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    const ShopOrder* o = find_order(req.matches[1]);
    if (!o) return bad_request(res, "order", "没有这个订单");
    html(res, page("订单已提交", "<h1>订单已提交</h1><table><tr><th>订单号</th><td id=\"order-number\">" + o->number +
                                       "</td></tr><tr><th>商品</th><td id=\"order-item\">" + escape(o->item_id) +
                                       "</td></tr><tr><th>数量</th><td id=\"order-qty\">" + std::to_string(o->quantity) +
                                       "</td></tr><tr><th>应付金额</th><td>¥<span id=\"order-amount\">" + format_yuan(o->amount_cents) +
                                       "</span></td></tr><tr><th>买家账号</th><td id=\"order-buyer\">" + escape(o->buyer_account) +
                                       "</td></tr><tr><th>收货地址</th><td id=\"order-address\">" + escape(o->address) +
                                       "</td></tr><tr><th>收货人</th><td id=\"order-contact\">" + escape(o->contact) +
                                       "</td></tr><tr><th>下单时间</th><td id=\"order-time\">" + format_beijing(o->placed_at) +
                                       "</td></tr></table><p><a class=\"button\" id=\"pay-link\" href=\"/pay/" + o->number + "\">去付款</a></p>"));
  });

  http.Get(R"(/pay/(DS\d+))", [this, html](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    const ShopOrder* o = find_order(req.matches[1]);
    if (!o) return bad_request(res, "order", "没有这个订单");
    html(res, page("付款", "<h1>付款：订单 " + o->number + "</h1><p>应付 ¥" + format_yuan(o->amount_cents) +
                               "</p><form method=\"post\"><p>支付方式 <select id=\"method-input\" name=\"method\"><option>银行卡</option>"
                               "<option>微信支付</option><option>支付宝</option><option>账户余额</option></select></p>"
                               "<p>付款账号 <input id=\"pay-account-input\" name=\"account\"></p>"
                               "<p><button class=\"button\" id=\"pay-button\">确认付款</button></p></form>"));
  });

  http.Post(R"(/pay/(DS\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    ShopOrder* o = find_order(req.matches[1]);
    if (!o) return bad_request(res, "order", "没有这个订单");
    if (o->paid_at) return bad_request(res, "order", "订单已付款");
    if (req.get_param_value("method").empty()) return bad_request(res, "method", "请选择支付方式");
    if (req.get_param_value("account").empty()) return bad_request(res, "account", "付款账号不能为空");
    o->paid_at = clock->now();
    o->payment_method = req.get_param_value("method");
    o->paying_account = req.get_param_value("account");
    res.set_redirect("/paid/" + o->number, 303);
  });

  http.Get(R"(/paid/(DS\d+))", [this, html](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    const ShopOrder* o = find_order(req.matches[1]);
    if (!o || !o->paid_at) return bad_request(res, "order", "没有这个已付款的订单");
    html(res, page("付款成功", "<h1>付款成功</h1><table><tr><th>订单号</th><td id=\"paid-order\">" + o->number +
                                   "</td></tr><tr><th>实付金额</th><td>¥<span id=\"paid-amount\">" + format_yuan(o->amount_cents) +
                                   "</span></td></tr><tr><th>付款时间</th><td id=\"paid-time\">" + format_beijing(*o->paid_at) +
                                   "</td></tr><tr><th>支付方式</th><td id=\"paid-method\">" + escape(o->payment_method) +
                                   "</td></tr><tr><th>付款账号</th><td id=\"paid-account\">" + escape(o->paying_account) + "</td></tr></table>"));
  });

  http.Get("/chat", [this, html](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mutex);
    std::string log;
    for (const auto& [who, text] : chat)
      log += "<p class=\"msg " + who + "\"><b>" + (who == "buyer" ? "我" : "客服") + "：</b>" + escape(text) + "</p>";
    html(res, page("联系客服", "<h1>在线客服</h1><div id=\"chat-log\">" + log +
                                   "</div><form method=\"post\"><input id=\"chat-input\" name=\"message\" size=\"40\"> "
                                   "<button class=\"button\" id=\"chat-send\">发送</button></form>"));
  });

  http.Post("/chat", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string message = req.get_param_value("message");
    if (message.empty()) return bad_request(res, "message", "不能为空");
    std::string answer = catalogue().value("chat_default", "");
    for (const auto& rule : catalogue()["chat"])
      for (const auto& keyword : rule["keywords"])
        if (message.find(keyword.get<std::string>()) != std::string::npos) answer = rule.value("answer", answer);
    std::lock_guard lock(mutex);
    chat.emplace_back("buyer", message);
    chat.emplace_back("shop", answer);
    res.set_redirect("/chat", 303);
  });

  http.Get("/api/orders", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mutex);
    json list = json::array();
    for (const auto& o : orders) list.push_back(o.to_json());
    res.set_content(list.dump(2), "application/json; charset=utf-8");
  });
}

DemoShop::DemoShop(std::unique_ptr<Server> server) : server_(std::move(server)) {}

DemoShop::~DemoShop() {
  server_->http.stop();
  if (server_->thread.joinable()) server_->thread.join();
}

Result<std::unique_ptr<DemoShop>> DemoShop::start(const Clock& clock, int port) {
  auto server = std::make_unique<Server>();
  server->clock = &clock;
  server->routes();
  if (port == 0) {
    server->port = server->http.bind_to_any_port("127.0.0.1");
  } else if (server->http.bind_to_port("127.0.0.1", port)) {
    server->port = port;
  }
  if (server->port <= 0)
    return make_error(ErrorCode::io, "port", "演示商城无法在 127.0.0.1:" + std::to_string(port) + " 上监听（端口被占用？）");
  Server* raw = server.get();
  server->thread = std::thread([raw] { raw->http.listen_after_bind(); });
  // Ready when it accepts: a caller's first request must not race the listener.
  for (int i = 0; i < 5000 && !raw->http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<DemoShop>(new DemoShop(std::move(server)));
}

std::string DemoShop::url() const { return "http://127.0.0.1:" + std::to_string(server_->port) + "/"; }
int DemoShop::port() const { return server_->port; }

std::vector<ShopOrder> DemoShop::orders() const {
  std::lock_guard lock(server_->mutex);
  return server_->orders;
}

}  // namespace netsample::demo
