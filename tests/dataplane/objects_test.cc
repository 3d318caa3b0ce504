// Objects on the data plane: the chunk codec, the agent's intake and the server's file store
// (out-of-order and duplicate pieces, resume after reopen, checksum mismatch, bad ids, names
// that try to leave the store's directory).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/clock.h"
#include "dataplane/buffer/stream.h"
#include "dataplane/objects/chunk.h"
#include "dataplane/objects/intake.h"
#include "dataplane/objects/store.h"
#include "wal/reader.h"

namespace iotwins::dataplane {
namespace {

std::string random_bytes(size_t n, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "dp_objects_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  std::unique_ptr<ObjectStore> open_store() {
    auto s = ObjectStore::open(fs_, dir_ + "/store", clock_);
    EXPECT_TRUE(s) << s.error().message();
    return std::move(*s);
  }
  std::unique_ptr<Stream> open_stream(uint64_t max_bytes = 1ull << 30) {
    auto s = Stream::open(fs_, dir_ + "/stream",
                          {.name = "objects", .max_bytes = max_bytes, .fsync = wal::FsyncPolicy::never}, clock_);
    EXPECT_TRUE(s) << s.error().message();
    return std::move(*s);
  }
  // The pieces of `data` as chunk events, in order.
  static std::vector<Event> pieces(const std::string& id, const std::string& data, size_t piece,
                                   std::string sha = "") {
    if (sha.empty()) sha = sha256_hex(data);
    std::vector<Event> out;
    for (size_t at = 0; at < data.size() || (data.empty() && out.empty()); at += piece) {
      ObjectChunk c{id, id + ".bin", data.size(), sha, at, data.substr(at, piece), "edge-1"};
      out.push_back(encode_chunk_event(c, 1));
      if (data.empty()) break;
    }
    return out;
  }
  static std::vector<Event> read_events(Stream& s) {
    std::vector<Event> out;
    auto r = s.wal().reader(1);
    for (;;) {
      auto rec = (*r)->next();
      EXPECT_TRUE(rec);
      if (!rec || !*rec) break;
      auto e = decode_entry((**rec).payload);
      EXPECT_TRUE(e);
      if (e && e->kind == EntryKind::record) out.push_back(std::get<Event>(e->record));
    }
    return out;
  }

  std::string dir_;
  PosixFileSystem fs_;
  ManualClock clock_{1'700'000'000'000'000'000};
};

TEST(ObjectChunkCodec, Base64RoundTripsEveryLengthAndRejectsGarbage) {
  for (size_t n = 0; n < 70; ++n) {
    std::string data = random_bytes(n, static_cast<uint32_t>(n));
    auto back = base64_decode(base64_encode(data));
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, data) << n;
  }
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_FALSE(base64_decode("Zm9vYg="));   // length
  EXPECT_FALSE(base64_decode("Zm9v*g=="));  // character
  EXPECT_FALSE(base64_decode("Zg==Zm9v"));  // padding in the middle
}

TEST(ObjectChunkCodec, IdsAndNamesCannotNameOtherFiles) {
  EXPECT_TRUE(validate_object_id("capture-2026.11.24_a"));
  EXPECT_FALSE(validate_object_id(""));
  EXPECT_FALSE(validate_object_id(".."));
  EXPECT_FALSE(validate_object_id("."));
  EXPECT_FALSE(validate_object_id("a/b"));
  EXPECT_FALSE(validate_object_id("../etc"));
  EXPECT_FALSE(validate_object_id(std::string(129, 'a')));
  auto bad = validate_object_id("pump 1");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("0x20 at 4"), std::string::npos) << bad.error().message();

  EXPECT_TRUE(validate_object_name("vibration capture (pump 3).bin"));
  EXPECT_FALSE(validate_object_name("../../etc/passwd"));
  EXPECT_FALSE(validate_object_name("..\\boot.ini"));
  EXPECT_FALSE(validate_object_name(".."));
  EXPECT_FALSE(validate_object_name("a\nb"));
  EXPECT_FALSE(validate_object_name(std::string(256, 'a')));
}

TEST(ObjectChunkCodec, EventRoundTripsAndDecodingIsStrict) {
  ObjectChunk c{"obj", "obj.bin", 10, sha256_hex("0123456789"), 4, "456", "edge-1"};
  Event e = encode_chunk_event(c, 5);
  EXPECT_EQ(e.type, kObjectChunkType);
  EXPECT_TRUE(is_chunk_event(Record(e)));
  auto back = decode_chunk_event(e);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->data, "456");
  EXPECT_EQ(back->offset, 4u);
  EXPECT_EQ(back->source, "edge-1");

  Event outside = encode_chunk_event({"obj", "obj.bin", 10, c.sha256, 8, "89x", ""}, 5);
  EXPECT_FALSE(decode_chunk_event(outside));
  Event bad_sha = encode_chunk_event({"obj", "obj.bin", 10, "ABC", 0, "0", ""}, 5);
  EXPECT_FALSE(decode_chunk_event(bad_sha));
  Event not_json = e;
  not_json.json = "{\"object\":";
  EXPECT_FALSE(decode_chunk_event(not_json));
  Event missing = e;
  missing.json = R"({"object":"obj","name":"n","size":1,"offset":0,"data":"AA=="})";
  EXPECT_FALSE(decode_chunk_event(missing));
}

TEST(RangeSetTest, MergesTouchingAndOverlappingRanges) {
  RangeSet r;
  r.add(10, 20);
  r.add(30, 40);
  r.add(0, 5);
  EXPECT_EQ(r.ranges().size(), 3u);
  r.add(20, 30);  // touches both neighbours
  ASSERT_EQ(r.ranges().size(), 2u);
  EXPECT_EQ(r.ranges()[1], (std::pair<uint64_t, uint64_t>{10, 40}));
  r.add(3, 12);
  ASSERT_EQ(r.ranges().size(), 1u);
  EXPECT_EQ(r.bytes(), 40u);
  EXPECT_TRUE(r.covers(0, 40));
  EXPECT_FALSE(r.covers(0, 41));
}

TEST_F(ObjectsTest, OutOfOrderAndDuplicatePiecesAssembleTheFile) {
  auto store = open_store();
  std::string data = random_bytes(100'000);
  auto ps = pieces("cap", data, 7'000);
  std::vector<Event> shuffled(ps.rbegin(), ps.rend());
  shuffled.insert(shuffled.end(), ps.begin(), ps.begin() + 3);  // duplicates
  // The first half of the run (reversed order): still receiving, content refused.
  ASSERT_TRUE(store->apply(std::span(shuffled).subspan(0, 7)));
  auto m = store->get("cap");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->state, ObjectState::receiving);
  EXPECT_EQ(m->source, "edge-1");
  auto refused = store->content_path("cap");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::conflict);
  ASSERT_TRUE(store->apply(std::span(shuffled).subspan(7)));
  m = store->get("cap");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->state, ObjectState::complete);
  EXPECT_EQ(m->received.bytes(), data.size());
  auto path = store->content_path("cap");
  ASSERT_TRUE(path) << path.error().message();
  EXPECT_EQ(slurp(*path), data);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/store/cap.part"));
  // A replay of the whole stream after completion changes nothing.
  ASSERT_TRUE(store->apply(ps));
  EXPECT_EQ(slurp(*path), data);
  EXPECT_EQ(store->stats().objects_complete, 1u);
}

TEST_F(ObjectsTest, ResumesAfterReopenAndRecoversACrashAfterTheRename) {
  std::string data = random_bytes(50'000, 3);
  auto ps = pieces("resume", data, 10'000);
  {
    auto store = open_store();
    ASSERT_TRUE(store->apply(std::span(ps).subspan(0, 2)));
  }
  {
    auto store = open_store();
    auto m = store->get("resume");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->received.bytes(), 20'000u);
    ASSERT_TRUE(store->apply(std::span(ps).subspan(2)));
    ASSERT_TRUE(store->content_path("resume"));
  }
  // Crash between the rename and the manifest write: the old manifest says receiving.
  std::string manifest_path = dir_ + "/store/resume.json";
  auto m = decode_manifest(slurp(manifest_path), manifest_path);
  ASSERT_TRUE(m);
  m->state = ObjectState::receiving;
  m->received = RangeSet();
  m->received.add(0, 10'000);
  ASSERT_TRUE(fs_.write_file_atomic(manifest_path, encode_manifest(*m)));
  auto store = open_store();
  auto again = store->get("resume");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, ObjectState::complete);
  auto path = store->content_path("resume");
  ASSERT_TRUE(path);
  EXPECT_EQ(slurp(*path), data);
}

TEST_F(ObjectsTest, AReplayedPieceAfterAnUnrecordedRenameDoesNotStartAnEmptyPart) {
  // The state an I/O error between the rename and the manifest write leaves in a running store:
  // the manifest says receiving, the final file is there, the .part is gone.
  auto store = open_store();
  std::string data = random_bytes(20'000, 8);
  auto ps = pieces("renamed", data, 10'000);
  ASSERT_TRUE(store->apply(std::span(ps).subspan(0, 1)));
  std::filesystem::rename(dir_ + "/store/renamed.part", dir_ + "/store/renamed");
  std::ofstream(dir_ + "/store/renamed", std::ios::binary) << data;
  ASSERT_TRUE(store->apply(std::span(ps).subspan(1)));
  auto m = store->get("renamed");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->state, ObjectState::complete) << m->reason;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/store/renamed.part"));
  EXPECT_EQ(slurp(*store->content_path("renamed")), data);
}

TEST_F(ObjectsTest, ChecksumMismatchFailsTheObjectAndNeverServesIt) {
  auto store = open_store();
  std::string data = random_bytes(30'000, 5);
  auto ps = pieces("bad", data, 8'000, sha256_hex("something else"));
  ASSERT_TRUE(store->apply(ps));
  auto m = store->get("bad");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->state, ObjectState::failed);
  EXPECT_NE(m->reason.find("sha256 mismatch"), std::string::npos) << m->reason;
  auto c = store->content_path("bad");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Errc::conflict);
  EXPECT_NE(c.error().message().find("failed"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/store/bad"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/store/bad.part"));
  // Still failed after a reopen.
  store = open_store();
  EXPECT_EQ(store->get("bad")->state, ObjectState::failed);
  EXPECT_EQ(store->stats().objects_failed, 1u);
}

TEST_F(ObjectsTest, BadAndConflictingPiecesAreSkippedWithoutTouchingOtherFiles) {
  auto store = open_store();
  std::string data = random_bytes(20'000, 9);
  auto ps = pieces("good", data, 10'000);
  // A piece of the same id that claims another sha256, a hand-made piece with a traversal id,
  // and garbage: counted and skipped, the good object still completes.
  Event conflicting = pieces("good", data, 10'000, sha256_hex("x"))[0];
  Event traversal{"objects", std::string(kObjectChunkType), 1,
                  R"({"object":"../../escape","name":"x","size":1,"sha256":")" + sha256_hex("A") +
                      R"(","offset":0,"data":"QQ==","source":""})"};
  Event garbage{"objects", std::string(kObjectChunkType), 1, "not json"};
  std::vector<Event> run = {ps[0], conflicting, traversal, garbage, ps[1]};
  ASSERT_TRUE(store->apply(run));
  EXPECT_EQ(store->stats().pieces_rejected, 3u);
  EXPECT_EQ(store->get("good")->state, ObjectState::complete);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/escape"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/escape.part"));
  EXPECT_EQ(store->list("", 10).size(), 1u);
  auto bad_id = store->get("../x");
  ASSERT_FALSE(bad_id);
  EXPECT_EQ(bad_id.error().code(), Errc::invalid_argument);
}

TEST_F(ObjectsTest, ListPaginatesByIdAndEmptyObjectsComplete) {
  auto store = open_store();
  for (std::string id : {"c", "a", "b"}) ASSERT_TRUE(store->apply(pieces(id, id == "b" ? "" : "xyz", 2)));
  auto first = store->list("", 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, "a");
  EXPECT_EQ(first[1].id, "b");
  EXPECT_EQ(first[1].state, ObjectState::complete);  // zero bytes
  EXPECT_EQ(slurp(*store->content_path("b")), "");
  auto rest = store->list("b", 2);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, "c");
}

TEST_F(ObjectsTest, IntakeAppendsPiecesDurablyAndTheStoreAssemblesThem) {
  auto stream = open_stream();
  auto intake = ObjectIntake::open(fs_, dir_ + "/intake", *stream, [] { return std::string("edge-7"); }, clock_);
  ASSERT_TRUE(intake);
  std::string data = random_bytes(300'000, 11);
  std::string sha = sha256_hex(data);
  auto put = [&](uint64_t off, uint64_t n) {
    return (*intake)->put({"vib", "vibration.raw", data.size(), sha, off, data.substr(off, n), ""});
  };
  // Second half first, then the first half; then the first chunk again (already held).
  ASSERT_TRUE(put(150'000, 150'000));
  auto st = (*intake)->status("vib");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->received.bytes(), 150'000u);
  EXPECT_EQ(st->state, ObjectState::receiving);
  ASSERT_TRUE(put(0, 150'000));
  uint64_t last = stream->stats().last_seq;
  auto again = put(0, 100'000);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, ObjectState::complete);
  EXPECT_EQ(stream->stats().last_seq, last) << "a chunk the node already holds is not appended again";
  // Every piece fits the batch codec's event limit.
  auto events = read_events(*stream);
  EXPECT_EQ(events.size(), 2 * ((150'000 + kMaxPieceBytes - 1) / kMaxPieceBytes));
  for (const auto& e : events) EXPECT_LE(e.json.size(), 64u << 10);
  // Applied on the "server": the same bytes.
  auto store = open_store();
  std::vector<Record> records(events.begin(), events.end());
  ASSERT_TRUE(object_store_sink(*store)(1, records));
  auto path = store->content_path("vib");
  ASSERT_TRUE(path) << path.error().message();
  EXPECT_EQ(slurp(*path), data);
  EXPECT_EQ(store->get("vib")->source, "edge-7");
  EXPECT_EQ(store->get("vib")->name, "vibration.raw");
}

TEST_F(ObjectsTest, IntakeRejectsBadInputAndConflictsWithoutAppending) {
  auto stream = open_stream(64 << 10);
  auto intake = ObjectIntake::open(fs_, dir_ + "/intake", *stream, {}, clock_);
  ASSERT_TRUE(intake);
  std::string sha = sha256_hex("hello");
  auto bad_id = (*intake)->put({"../x", "x", 5, sha, 0, "hello", ""});
  ASSERT_FALSE(bad_id);
  EXPECT_EQ(bad_id.error().code(), Errc::invalid_argument);
  auto bad_name = (*intake)->put({"x", "../../x", 5, sha, 0, "hello", ""});
  ASSERT_FALSE(bad_name);
  auto outside = (*intake)->put({"x", "x", 5, sha, 3, "hello", ""});
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message().find("outside"), std::string::npos);
  EXPECT_EQ(stream->stats().last_seq, 0u);
  ASSERT_TRUE((*intake)->put({"x", "x", 5, sha, 0, "he", ""}));
  auto conflict = (*intake)->put({"x", "x", 6, sha256_hex("hello!"), 0, "he", ""});
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code(), Errc::conflict);
  auto unknown = (*intake)->status("nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), Errc::not_found);
  // A full stream (policy reject) refuses the chunk: resource_exhausted, manifest unchanged.
  std::string big = random_bytes(200'000, 2);
  auto full = (*intake)->put({"big", "big", big.size(), sha256_hex(big), 0, big, ""});
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), Errc::resource_exhausted);
  EXPECT_FALSE((*intake)->status("big"));
}

}  // namespace
}  // namespace iotwins::dataplane
