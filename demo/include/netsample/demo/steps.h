// The demo's steps (`netsample demo`): the world it needs on this machine (a screen, a time server, a
// time-stamping authority, a shop, a courier, a platform's endpoint, a mail server — all local), a scripted
// sampler who buys in Chromium while `netsample purchase start` records and every Art 35 step is marked,
// the delivery, the unboxing and sealing, the notices — each done as a person would with the commands.
// app/demo.cc prints the walk-through around them.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "netsample/demo/shop.h"
#include "netsample/runtime/runtime.h"
#include "netsample/testing/loopback.h"
#include "netsample/purchase/session.h"
#include "netsample/unboxing/parcels.h"

namespace netsample::demo {

// What the demo's steps run with: the opened data directory, and who acts where no sampler is named (the
// login, as for any command). The steps print what they do on standard output, as the walk-through shows it.
struct DemoRun {
  runtime::Runtime& runtime;
  std::string actor;
  bool page_capture = true;  // false: `netsample demo --without-page-capture` (bench/station_bench.sh compares)
};

struct DemoWorld {
  std::filesystem::path dir;  // logs and the services' files
  SystemClock clock;
  std::unique_ptr<loopback::VirtualDisplay> display;
  std::unique_ptr<loopback::TimeServer> ntp;
  std::unique_ptr<loopback::TimestampAuthority> tsa;
  std::unique_ptr<DemoShop> shop;
  std::unique_ptr<loopback::CourierService> courier;  // Kuaidi100's format, with credentials made for this run
  std::string courier_key;
  std::unique_ptr<loopback::WebhookReceiver> platform_hook;  // the platform's and the network supervision unit's notice endpoint
  std::string platform_secret;
  std::unique_ptr<loopback::MailSink> mail;                  // the operator's and the other region's bureau's mailboxes
};

// Starts them all; says what it starts.
Result<std::unique_ptr<DemoWorld>> start_demo_world(const std::filesystem::path& dir);

// The platform entry and the case file for a purchase from the demo shop.
nlohmann::json demo_shop_platforms();
nlohmann::json demo_shop_case(const std::string& number, const DemoWorld& world);

// The shop ships: the parcel is registered and followed on the local courier service until delivered
// (the case moves to 「运输中」 and then 「已收样待确认」). Writes <data>/tracking.json for that service.
// The courier's events fall between `ordered` and now (the demo's journey takes seconds, not days).
Result<unboxing::ParcelView> run_demo_delivery(DemoRun& run, DemoWorld& world, const std::string& case_number, UtcTime ordered);

// Buys the demo kettle for the case as `sampler`, recording with netsample-recorder; returns the session.
Result<purchase::SessionView> run_demo_purchase(DemoRun& run, DemoWorld& world, const std::string& case_number, const std::string& sampler);

// Unboxes the delivered parcel on a generated video (imported, labels read, waybill matched, the other
// steps marked), accepts and seals the samples, all through the commands as `sampler`. Returns what
// `unbox finish` and `seal` answered.
Result<nlohmann::json> run_demo_unboxing(DemoRun& run, DemoWorld& world, const std::string& case_number, const std::string& sampler,
                                         const std::string& tracking_number);

// The lab finds the sample nonconforming (the demo's tester), so the case owes its Art 51 and 74 notices;
// the parties are registered (platform and network supervision by webhook, operator and the producer's
// region's bureau by e-mail, the producer by post), `netsample notices deliver` sends them all — one
// platform answer fails first and is retried with the same key — and the operator's registered letter is
// marked received, which starts the 15-day objection period (Art 52). Returns `notices list --json`.
Result<nlohmann::json> run_demo_notices(DemoRun& run, DemoWorld& world, const std::string& case_number);

}  // namespace netsample::demo
