// One purchase on one continuous recording (Art 35), as the sampler's first terminal — or the service —
// runs it: the session opened, the recorder started, the capture environment checked and shown in the
// video's first seconds, the steps marked from other terminals over the recorder's control channel (each
// checked by the session, the marker named by a drawn sampler, Art 20; the time check records the recorder's
// NTP answer and shows it in the video), and at the end the steps attached to the manifest, the recording
// sealed and verified, its files stored as evidence and the session concluded (complete → the case is
// "ordered"). Unless the sampler brings their own, the browser is netsample's: opened on the recorded screen,
// every page it receives kept as WARC in the recording's hash chain. On a local platform (the demo shop) the
// control channel also drives that browser, for the demo's scripted sampler; on a real platform the sampler buys
// by hand and nothing is automated.
//
// And the other terminals' side: `purchase mark` and `purchase finish` as library calls.
//
// Target netsample_purchase_recording (it loads FFmpeg through the recorder); the client calls are in
// netsample_purchase and need no FFmpeg.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/extract/extract.h"
#include "netsample/purchase/environment.h"
#include "netsample/purchase/session.h"
#include "netsample/recorder/recorder.h"
#include "netsample/store/store.h"
#include "netsample/workflow/lifecycle.h"
#include "netsample/workflow/platforms.h"

namespace netsample::purchase {

struct PurchaseRecordingOptions {
  recorder::RecorderOptions recorder;   // source, region, fps, NTP, TSA; out_dir and case_number are set here
  std::filesystem::path recording_dir;  // empty: <data>/recordings/<case>-purchase-<seq>
  bool new_purchase = false;            // an earlier purchase of the case was incomplete (Art 35: never continued)
  std::string browser_product;          // with own_browser: the sampler's browser; empty: what the installed Chromium says
  std::filesystem::path trust_store;    // the TSA certificates verify trusts
  // false: netsample opens Chromium for the purchase (a fresh profile in the recording's folder, removed at the
  // end; the window inside the recorded region) and keeps every page it receives in pages.warc.gz, chained with
  // the video. true: the sampler buys in a browser of their own, and the environment check says so.
  bool own_browser = false;
  std::string chromium = "chromium";    // the program to open
  bool page_capture = true;             // false: netsample's browser, but no page kept (only to measure what capture costs)
  extract::Adapters adapters;           // how the platform's pages show each step's fields (netsample's browser)
  bool console = true;                  // the station console on 127.0.0.1 (console_url())
  int console_port = 0;                 // 0: a free port
  // Second resolvers the environment check compares the platform's DNS answers with (EnvironmentInputs::
  // check_resolvers; each as parse_resolver_address() takes it). Empty: the check says none was configured.
  std::vector<std::string> check_resolvers;
};

class PurchaseRecording {
 public:
  using Say = std::function<void(const std::string&)>;  // a line for the sampler (Chinese)
  // Opens the session (PurchaseSessions::begin's rules) and starts recording. A recorder that cannot start
  // closes the session as incomplete and is the error. REQUIRES: store, lifecycle and platforms outlive it.
  static Result<std::unique_ptr<PurchaseRecording>> start(store::Store& store, workflow::Lifecycle& lifecycle,
                                                          const workflow::PlatformRegistry& platforms, const std::string& case_number,
                                                          const std::string& actor, PurchaseRecordingOptions options,
                                                          std::function<void(const recorder::Notice&)> on_notice, Say say);
  ~PurchaseRecording();
  PurchaseRecording(const PurchaseRecording&) = delete;
  PurchaseRecording& operator=(const PurchaseRecording&) = delete;

  const SessionView& session() const;
  const EnvironmentReport& environment() const;
  // The station console's address with its token (empty without one): for the sampler's terminal only.
  std::string console_url() const;

  // Records until `purchase finish` arrives, `stop()` says so or the capture ends on its own, calling
  // `tick` with the progress every ~200 ms; then attaches the steps, seals, verifies, stores every file of
  // the recording as evidence and concludes the session. Returns the concluded session (complete or
  // incomplete with its problems); an Error only when the session could not be concluded.
  Result<SessionView> run(const std::function<bool()>& stop, const std::function<void(const recorder::Progress&)>& tick);

 private:
  struct State;
  explicit PurchaseRecording(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The session now recording: of `case_number`, or the only one in the data directory.
Result<SessionView> recording_session(PurchaseSessions& sessions, const std::string& case_number);

// `purchase mark` from another terminal: the step checked by the session first (a typo is answered
// without touching the recording), then marked by the running recorder as `actor`. In netsample's browser the
// recorder reads the step's fields from the page on screen: `fields` then holds only what the sampler adds or
// corrects (a correction is stored beside what the page said). Returns the step as stored
// (StepRecord::to_json()) with "session".
Result<nlohmann::json> mark_recording_step(PurchaseSessions& sessions, const std::string& case_number, const std::string& step,
                                           const nlohmann::json& fields, const std::string& note, const std::string& actor);

// What the page on screen says for `step`, before it is marked (the station console shows it for the sampler to
// confirm or correct): {url, read: {field: value}, rules, missing, problems}.
Result<nlohmann::json> read_step_from_page(PurchaseSessions& sessions, const std::string& case_number, const std::string& step);

// `purchase finish`: asks the recorder to end and, once it accepted (`accepted` is called then), waits up to
// `wait` for the concluded session; a session whose recorder is gone (crash, restart) is closed as
// incomplete instead.
Result<SessionView> finish_recording(PurchaseSessions& sessions, const std::string& case_number, std::chrono::seconds wait,
                                     const std::function<void()>& accepted);

}  // namespace netsample::purchase
