// The subcommands. Each add_* registers its commands on the CLI11 app; handlers return exit codes
// through Context so that `main` stays a table of contents.
#pragma once

#include <CLI/CLI.hpp>

#include "cli.h"
#include "netsample/purchase/session.h"
#include "netsample/workflow/cases.h"

namespace netsample::app {

void add_case_commands(CLI::App& app, Context& context, int& exit_code);
void add_roster_commands(CLI::App& app, Context& context, int& exit_code);
void add_evidence_commands(CLI::App& app, Context& context, int& exit_code);
void add_audit_commands(CLI::App& app, Context& context, int& exit_code);
void add_info_command(CLI::App& app, Context& context, int& exit_code);
void add_storage_command(CLI::App& app, Context& context, int& exit_code);
void add_period_command(CLI::App& app, Context& context, int& exit_code);
void add_calendar_command(CLI::App& app, Context& context, int& exit_code);
void add_deadlines_command(CLI::App& app, Context& context, int& exit_code);
void add_lifecycle_command(CLI::App& app, Context& context, int& exit_code);
void add_demo_command(CLI::App& app, Context& context, int& exit_code);
void add_record_commands(CLI::App& app, Context& context, int& exit_code);  // record, record mark (netsample-recorder)
void add_verify_command(CLI::App& app, Context& context, int& exit_code);
void add_purchase_commands(CLI::App& app, Context& context, int& exit_code);            // mark, finish, show, steps
void add_track_commands(CLI::App& app, Context& context, int& exit_code);              // parcel tracking
void add_unbox_commands(CLI::App& app, Context& context, int& exit_code);              // netsample-recorder
void add_unbox_session_commands(CLI::App* unbox, Context& context, int& exit_code);    // start, mark, finish, show, demo-video
void add_seal_command(CLI::App& app, Context& context, int& exit_code);                // Art 37, 38
void add_notices_commands(CLI::App& app, Context& context, int& exit_code);            // parties, list, deliver, mark-posted/received
void add_account_commands(CLI::App& app, Context& context, int& exit_code);           // account, token (the service's sign-ins)
void add_export_command(CLI::App& app, Context& context, int& exit_code);             // a case's evidence bundle
void add_crawl_command(CLI::App& app, Context& context, int& exit_code);              // a page preserved as WARC
void add_search_command(CLI::App& app, Context& context, int& exit_code);             // candidate listings from a search page
void add_serve_command(CLI::App& app, Context& context, int& exit_code);              // netsample serve
void add_sync_commands(CLI::App& app, Context& context, int& exit_code);              // station (centre), sync (station)
// A station's sync token: from --token-file (which only its owner may read), else $NETSAMPLE_STATION_TOKEN ("" when
// neither is given).
Result<std::string> station_token(const std::string& token_file);
void add_purchase_start_command(CLI::App& purchase, Context& context, int& exit_code);  // netsample-recorder

// Human-readable views shared by the commands and the demo.
void print_case(const workflow::CaseView& view, const workflow::PlatformRegistry& platforms);
void print_case_line(const workflow::CaseView& view);
// Runs the chain and record checks; prints them; returns 0 when both are intact, else 4.
int verify_audit(Context& context);

}  // namespace netsample::app
