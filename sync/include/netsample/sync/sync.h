// Stations and the centre (design/central.md). A station works on its own data directory and pushes to the central
// service what it holds: its audit chain, row by row, and every piece of its evidence, by SHA-256. The centre keeps
// each station's chain as that station wrote it (its own heads, so each station's history stays provable) and checks
// every row's hash and link as it arrives; a blob is stored only when its bytes hash to its name. Content-addressed
// both ways, so a sync that was cut off resumes where it stopped and nothing is sent twice.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/store/audit.h"
#include "netsample/store/store.h"

namespace netsample::sync {

// --- the centre's side ---

struct Station {
  std::string id;    // chosen by the centre's administrator: "yubei-01"
  std::string name;  // for people: "渝北区局抽样站"
  UtcTime added;
  std::optional<UtcTime> revoked;
  nlohmann::json to_json() const;
};

// The stations the centre accepts, each with a token (kept as its SHA-256; shown once when made).
class Stations {
 public:
  explicit Stations(store::Store& store) : store_(&store) {}
  // A new station and its token. `id`: lower-case letters, digits and '-', 2 to 40 characters.
  Result<std::string> add(const std::string& id, const std::string& name, const std::string& actor);
  // Its token stops working at once; what it synced stays.
  Status revoke(const std::string& id, const std::string& actor);
  Result<std::vector<Station>> list();
  // The station whose token this is: unauthenticated when none is, forbidden when it was revoked.
  Result<Station> authenticate(const std::string& token);

 private:
  store::Store* store_;
};

// What the centre holds of one station's blob: all of it, or the bytes received so far of one being sent.
struct BlobState {
  bool present = false;
  std::uint64_t received = 0;  // of an unfinished upload
};

// A recording as the centre received it line by line while the station made it (design/central.md).
struct LiveState {
  std::int64_t lines = 0;  // journal lines received and checked
  std::string head = std::string(64, '0');  // the chain value of the last
  std::uint64_t media_bytes = 0, page_bytes = 0;  // of recording.mp4 and pages.warc.gz so far
};
// A time stamp the recorder took while recording, over the journal's first `lines` lines, as the centre checked it.
struct LiveStamp {
  std::string name;  // journal.K[.n].tsr
  std::int64_t lines = 0;
  UtcTime stamped;  // the TSA's time
  bool verified = false;  // its signature and chain against the centre's trusted TSAs
  std::string problem;    // why not (a TSA the centre does not trust)
  nlohmann::json to_json() const;
};
struct LiveRecording {
  std::string station, key, case_number, dir_name;
  LiveState state;
  std::optional<UtcTime> recorded_until;  // trusted time of the last fragment's last frame
  std::int64_t stamps = 0, stamps_verified = 0;  // time stamps taken while recording, received and checked
  UtcTime updated;
  std::string media_sha256;  // once its video became a blob at the centre
  nlohmann::json to_json() const;
};

// The centre receiving from one authenticated station. The parts of a blob being sent wait in the database
// (station_parts), so that the next part may reach any of the centre's instances.
class Receiver {
 public:
  Receiver(store::Store& store, Station station) : store_(&store), station_(std::move(station)) {}

  // The last row of the station's chain the centre holds ({0, genesis} before the first sync).
  Result<store::AuditHead> head();
  // Rows that continue the station's chain from head(): each one's hash recomputed, its seq the next one, its
  // prev_hash the hash before it. The first that does not fit refuses the whole batch (integrity, naming the row
  // and what is wrong); nothing of it is stored. A row about a case another station holds refuses it too (forbidden,
  // naming the holder) unless this station held the case before it was handed over. Returns the new head.
  Result<store::AuditHead> receive_rows(const std::vector<store::AuditRecord>& rows);

  // `size`, when the station gives it: a recording this station sent line by line whose video (or pages) is exactly
  // that long is hashed, and becomes the blob when it is `sha256` — its bytes are not sent again.
  Result<BlobState> blob_state(const std::string& sha256, std::uint64_t size = 0);
  // Bytes [offset, offset + size of `part`) of blob `sha256` of `total` bytes. `offset` must equal the bytes received
  // so far (refused otherwise, naming both: the station asks blob_state and resumes). The last part completes it:
  // the whole is hashed and stored only when it is `sha256` (integrity otherwise; the partial upload is dropped).
  Result<BlobState> receive_part(const std::string& sha256, std::uint64_t total, std::uint64_t offset, const std::filesystem::path& part);

  // What the centre holds of the recording the station calls `key` (a hash of its folder's path there).
  Result<LiveState> live_state(const std::string& key);
  // The names of the time stamps taken while recording it that the centre holds (journal.K[.n].tsr).
  Result<std::vector<std::string>> live_stamps(const std::string& key);
  // The next line of that recording's journal with the bytes it names (a fragment of recording.mp4, or a page
  // record of pages.warc.gz): its index the next, its bytes starting where the previous ended and hashing to its
  // SHA-256, its chain value recomputed from the one before (integrity otherwise, naming the line); refused when the
  // case belongs to another station.
  Result<LiveState> receive_live_line(const std::string& key, const std::string& case_number, const std::string& dir_name, const std::string& line,
                                      const std::string& bytes);
  // A time stamp the recorder took while recording (journal.K[.n].tsr: the token's bytes), over the journal's first
  // K lines: kept when it stamps exactly the first K lines the centre received (refused otherwise, integrity naming
  // the stamp; a stamp over lines not received yet is refused until they are), its signature and chain checked
  // against `trust` (the centre's trusted TSAs) and the result kept with it. The same stamp sent again is no change.
  // Lines whose text the centre no longer holds (received whole before it kept them) leave the stamp unchecked and
  // not kept, its `problem` saying so.
  Result<LiveStamp> receive_live_stamp(const std::string& key, const std::string& name, const std::string& token,
                                       const std::filesystem::path& trust);

  // The case documents the centre holds from this station: each case's latest seq.
  Result<std::map<std::string, std::int64_t>> cases();
  // The cases this station held and the centre has since handed to another: case → the station that holds it now.
  // Its later rows about them are still taken (its chain goes on); its documents of them are not.
  Result<std::map<std::string, std::string>> handed_away();
  // A case's documents (bundle::case_documents, checked by the caller against bundle::check_documents) as read at
  // `seq` of this station's chain. Refused when the centre holds the chain only to an earlier row, when the case
  // belongs to another station (forbidden, naming it), or when a piece of evidence they name is not the case's in
  // this station's chain or not yet at the centre (integrity, naming the file).
  Status receive_case(const std::string& case_number, std::int64_t seq, const nlohmann::json& documents);

  const Station& station() const { return station_; }

 private:
  Result<std::uint64_t> parts_received(const std::string& sha256);
  Result<bool> store_from_live(const std::string& sha256, std::uint64_t size);
  Status drop_parts(const std::string& sha256);
  Result<BlobState> store_blob(const std::string& sha256, const std::filesystem::path& complete);
  Result<BlobState> keep_blob(const std::string& sha256, const std::filesystem::path& complete, const nlohmann::json& details);
  store::Store* store_;
  Station station_;
};

// A case as a station sent it: its latest documents.
struct StationCase {
  std::string case_number;
  std::string station;
  std::int64_t seq = 0;  // of the station's chain, when the documents were read
  UtcTime received;
  nlohmann::json documents;
};

// The cases stations sent, as the centre holds them, and which station each belongs to.
class StationCases {
 public:
  explicit StationCases(store::Store& store) : store_(&store) {}
  // The latest documents of a case; nullopt when no station sent it.
  Result<std::optional<StationCase>> latest(const std::string& case_number);
  // Every case stations sent, the latest documents of each, newest first.
  Result<std::vector<StationCase>> list();
  // The station a case belongs to now: nullopt before any station sent a row about it.
  Result<std::optional<std::string>> owner(const std::string& case_number);
  // Hands a case to another station (a row in the centre's chain): from then on only that station's rows about it
  // are taken. The former station should have synced everything about it first: its later rows are refused.
  Status hand_over(const std::string& case_number, const std::string& to_station, const std::string& actor);
  // A station's chain as the centre holds it, from its first row.
  Result<std::vector<store::AuditRecord>> chain(const std::string& station);
  // Recordings stations sent while they made them, the latest first.
  Result<std::vector<LiveRecording>> live();
  Result<std::optional<LiveRecording>> live_recording(const std::string& station, const std::string& key);
  // The video of a recording as far as it arrived (the init segment and the fragments: a fragmented MP4 a player
  // opens), written to `file`. REQUIRES: its video is not yet a blob (media_sha256 empty).
  Status write_live_video(const LiveRecording& recording, const std::filesystem::path& file);

 private:
  store::Store* store_;
};

// --- the station's side ---

struct SyncProgress {
  std::string phase;  // "evidence" or "audit"
  std::uint64_t done = 0, total = 0;  // items (evidence: bytes)
  std::string detail;
};

// A recording being made on the station: its folder (recording.journal, recording.mp4, pages.warc.gz) and case.
struct LiveSource {
  std::filesystem::path dir;
  std::string case_number;
};

struct SyncOptions {
  std::string central;  // the centre's base URL: https://netsample.example.gov.cn
  std::string token;    // the station's token (from the environment or a file: never the command line)
  std::string ca_file;  // an extra trust anchor for the centre's TLS certificate
  std::uint64_t part_bytes = 8 << 20;
  // A case's documents as its bundle shows them (bundle::case_documents); without it, no case documents are sent.
  std::function<Result<nlohmann::json>(const std::string& case_number)> case_documents;
  // The recordings being made now; their journaled fragments go to the centre first, line by line.
  std::function<std::vector<LiveSource>()> live_recordings;
  std::function<void(const SyncProgress&)> progress;
};

struct SyncReport {
  std::int64_t rows_sent = 0;
  std::int64_t blobs_sent = 0, blobs_already_there = 0;
  std::int64_t cases_sent = 0;  // case documents
  std::int64_t live_lines_sent = 0;  // journal lines of recordings being made
  std::uint64_t live_bytes_sent = 0;
  std::int64_t live_stamps_sent = 0;  // time stamps taken while recording them
  std::uint64_t bytes_sent = 0;
  store::AuditHead central_head;  // the station's chain as the centre holds it now
  // Cases the centre handed from this station to another (case → that station): their documents are no longer sent,
  // their rows still are (this station's history).
  std::map<std::string, std::string> handed_away;
};

// Sends what the centre does not hold yet: the journal lines (with their bytes) of recordings being made or stored
// since the last sync and the time stamps taken over them while recording, then the evidence blobs named by the rows after the centre's head of this station's chain
// (resuming one cut off; a recording the centre received whole line by line is not sent again), then those rows,
// then the documents of each case with rows newer than the centre's copy. Refused before anything is sent when the
// centre's head is not a row of this chain (the station's chain was rewritten, or this is another station's token).
Result<SyncReport> push(store::Store& store, const SyncOptions& options);

// Only the journal lines and stamps the centre lacks of the recordings being made (`options.live_recordings`): what a
// station's service sends every few seconds while a purchase is recorded, between its full syncs.
Result<SyncReport> push_live(const SyncOptions& options);

}  // namespace netsample::sync
