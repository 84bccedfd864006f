#include "storage/state_engine.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "base/random.h"
#include "storage/state_engine_snapshot.h"

namespace cairn::storage {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/cairn-engine-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::unique_ptr<StateEngine> MustOpen(const std::string& dir) {
  auto e = StateEngine::Open(dir);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(*e) : nullptr;
}

void PutKeys(StateEngine* e, int from, int to, uint64_t index, uint64_t term) {
  rocksdb::WriteBatch batch;
  for (int i = from; i < to; ++i)
    batch.Put("key" + std::to_string(i), std::string(100, static_cast<char>('a' + i % 26)));
  ASSERT_TRUE(e->Commit(&batch, index, term).ok());
}

std::string Read(StateEngine* e, const std::string& key) {
  std::string v;
  rocksdb::Status s = e->db()->Get(rocksdb::ReadOptions(), key, &v);
  return s.ok() ? v : "<missing>";
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x01));
}

TEST(StateEngine, FreshEngineHasAppliedZero) {
  TempDir dir;
  auto e = MustOpen(dir.Sub("g"));
  EXPECT_EQ(e->applied_index(), 0u);
  EXPECT_EQ(e->applied_term(), 0u);
}

TEST(StateEngine, AppliedIndexIsStoredWithTheDataAndSurvivesRestart) {
  TempDir dir;
  {
    auto e = MustOpen(dir.Sub("g"));
    PutKeys(e.get(), 0, 10, 5, 2);
    PutKeys(e.get(), 10, 20, 9, 3);
    EXPECT_EQ(e->applied_index(), 9u);
  }
  auto e = MustOpen(dir.Sub("g"));
  EXPECT_EQ(e->applied_index(), 9u);
  EXPECT_EQ(e->applied_term(), 3u);
  EXPECT_EQ(Read(e.get(), "key15").size(), 100u);
}

TEST(StateEngine, RefusesAppliedIndexGoingBackAndWritesNothing) {
  TempDir dir;
  auto e = MustOpen(dir.Sub("g"));
  PutKeys(e.get(), 0, 1, 10, 2);
  for (auto [index, term] : {std::pair<uint64_t, uint64_t>{10, 2}, {9, 2}, {11, 1}}) {
    rocksdb::WriteBatch batch;
    batch.Put("sneaky", "x");
    Status s = e->Commit(&batch, index, term);
    EXPECT_EQ(s.code(), Code::kFailedPrecondition) << index << "/" << term;
  }
  EXPECT_EQ(Read(e.get(), "sneaky"), "<missing>");
  EXPECT_EQ(e->applied_index(), 10u);
}

TEST(StateEngine, SnapshotVerifiesAndRestoresIntoAnotherEngine) {
  TempDir dir;
  auto src = MustOpen(dir.Sub("src"));
  PutKeys(src.get(), 0, 500, 40, 4);
  auto m = src->CreateSnapshot(dir.Sub("snap"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->applied_index, 40u);
  EXPECT_EQ(m->applied_term, 4u);
  EXPECT_EQ(m->format_version, kSnapshotFormatVersion);
  EXPECT_FALSE(m->files.empty());
  auto verified = VerifySnapshot(dir.Sub("snap"));
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, *m);
  // Changes after the snapshot are not in it.
  PutKeys(src.get(), 500, 501, 41, 4);

  auto dst = MustOpen(dir.Sub("dst"));
  PutKeys(dst.get(), 1000, 1010, 3, 1);
  ASSERT_TRUE(dst->RestoreSnapshot(dir.Sub("snap")).ok());
  EXPECT_EQ(dst->applied_index(), 40u);
  EXPECT_EQ(Read(dst.get(), "key499").size(), 100u);
  EXPECT_EQ(Read(dst.get(), "key500"), "<missing>");
  EXPECT_EQ(Read(dst.get(), "key1000"), "<missing>");
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("snap")));  // consumed
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("dst/db.old")));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("dst/db.new")));
  // Survives a restart, and goes on from the snapshot's index.
  dst.reset();
  dst = MustOpen(dir.Sub("dst"));
  EXPECT_EQ(dst->applied_index(), 40u);
  PutKeys(dst.get(), 2000, 2001, 41, 4);
}

TEST(StateEngine, ManifestDecoderIsStrict) {
  SnapshotManifest m;
  m.applied_index = 7;
  m.applied_term = 2;
  m.files = {{"000001.sst", 10, 0xdeadbeef}, {"CURRENT", 16, 1}};
  const std::string enc = EncodeSnapshotManifest(m);
  auto back = DecodeSnapshotManifest(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
  for (size_t i = 0; i < enc.size(); ++i) {
    std::string bad = enc;
    bad[i] ^= 0x20;
    EXPECT_EQ(DecodeSnapshotManifest(bad).status().code(), Code::kDataLoss) << "byte " << i;
    EXPECT_FALSE(DecodeSnapshotManifest(enc.substr(0, i)).ok());
  }
  SeededRandom rng(1);
  for (int i = 0; i < 5000; ++i) {
    std::string junk(rng.Uniform(80), '\0');
    for (char& c : junk)
      c = static_cast<char>(rng.Next());
    (void)DecodeSnapshotManifest(junk);
  }
}

class SnapshotCorruption : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = MustOpen(dir_.Sub("src"));
    PutKeys(src_.get(), 0, 300, 12, 3);
    ASSERT_TRUE(src_->CreateSnapshot(dir_.Sub("snap")).ok());
    live_ = MustOpen(dir_.Sub("live"));
    PutKeys(live_.get(), 5000, 5010, 6, 1);
  }

  void ExpectLiveUntouched() {
    EXPECT_EQ(live_->applied_index(), 6u);
    EXPECT_EQ(Read(live_.get(), "key5005").size(), 100u);
    EXPECT_EQ(Read(live_.get(), "key10"), "<missing>");
  }

  std::string Copy() {
    const std::string copy = dir_.Sub("copy" + std::to_string(copies_++));
    std::filesystem::copy(dir_.Sub("snap"), copy);
    return copy;
  }

  TempDir dir_;
  std::unique_ptr<StateEngine> src_, live_;
  int copies_ = 0;
};

TEST_F(SnapshotCorruption, FlippedByteInAnyFileIsDataLossNamingIt) {
  for (const auto& f : std::filesystem::directory_iterator(dir_.Sub("snap"))) {
    const std::string name = f.path().filename().string();
    const uint64_t size = std::filesystem::file_size(f.path());
    for (uint64_t offset : {uint64_t{0}, size / 3, size - 1}) {
      const std::string copy = Copy();
      FlipByte(copy + "/" + name, offset);
      auto v = VerifySnapshot(copy);
      ASSERT_FALSE(v.ok()) << name;
      EXPECT_EQ(v.status().code(), Code::kDataLoss);
      EXPECT_NE(v.status().message().find(name), std::string::npos) << v.status().ToString();
      Status s = live_->RestoreSnapshot(copy);
      EXPECT_EQ(s.code(), Code::kDataLoss);
      EXPECT_TRUE(std::filesystem::exists(copy));  // not consumed
      ExpectLiveUntouched();
    }
  }
}

TEST_F(SnapshotCorruption, ManifestThatMisstatesTheAppliedIndexIsRefusedBeforeTheSwap) {
  // Checksums all match (the manifest is rewritten over the same files), but
  // it claims another applied index than the data holds.
  const std::string copy = Copy();
  std::filesystem::remove(copy + "/" + kSnapshotManifestName);
  ASSERT_TRUE(WriteSnapshotManifest(copy, 99, 3).ok());
  ASSERT_TRUE(VerifySnapshot(copy).ok());
  Status s = live_->RestoreSnapshot(copy);
  EXPECT_EQ(s.code(), Code::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("applied index 12"), std::string::npos) << s.message();
  ExpectLiveUntouched();
}

TEST_F(SnapshotCorruption, MissingExtraAndTruncatedFiles) {
  std::string copy = Copy();
  std::string victim;
  for (const auto& f : std::filesystem::directory_iterator(copy)) {
    if (f.path().extension() == ".sst") victim = f.path().string();
  }
  ASSERT_FALSE(victim.empty());
  std::filesystem::remove(victim);
  EXPECT_NE(VerifySnapshot(copy).status().message().find("missing"), std::string::npos);
  EXPECT_EQ(live_->RestoreSnapshot(copy).code(), Code::kDataLoss);

  copy = Copy();
  std::ofstream(copy + "/EXTRA") << "x";
  EXPECT_NE(VerifySnapshot(copy).status().message().find("EXTRA"), std::string::npos);

  copy = Copy();
  std::filesystem::resize_file(copy + "/CURRENT", 3);
  EXPECT_NE(VerifySnapshot(copy).status().message().find("CURRENT"), std::string::npos);

  copy = Copy();
  std::filesystem::remove(copy + "/" + kSnapshotManifestName);
  EXPECT_EQ(live_->RestoreSnapshot(copy).code(), Code::kDataLoss);
  ExpectLiveUntouched();
}

TEST_F(SnapshotCorruption, ArchiveRoundTripAndEveryKindOfDamage) {
  const std::string archive = dir_.Sub("snap.archive");
  ASSERT_TRUE(WriteArchive(dir_.Sub("snap"), archive).ok());
  ASSERT_TRUE(ExtractArchive(archive, dir_.Sub("out")).ok());
  EXPECT_TRUE(VerifySnapshot(dir_.Sub("out")).ok());
  EXPECT_EQ(ExtractArchive(archive, dir_.Sub("out")).code(), Code::kAlreadyExists);

  const uint64_t size = std::filesystem::file_size(archive);
  SeededRandom rng(77);
  std::vector<uint64_t> offsets = {0, 8, 12, 16, 20, 24, size - 1, size - 4, size - 12, size - 20};
  for (int i = 0; i < 150; ++i)
    offsets.push_back(rng.Uniform(size));
  int n = 0;
  for (uint64_t offset : offsets) {
    const std::string bad = dir_.Sub("bad" + std::to_string(n) + ".archive");
    std::filesystem::copy_file(archive, bad);
    FlipByte(bad, offset);
    const std::string out = dir_.Sub("bad-out" + std::to_string(n++));
    Status s = ExtractArchive(bad, out);
    EXPECT_EQ(s.code(), Code::kDataLoss) << "offset " << offset << ": " << s.ToString();
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  for (uint64_t cut : {uint64_t{0}, uint64_t{5}, size / 2, size - 1}) {
    const std::string bad = dir_.Sub("cut" + std::to_string(cut));
    std::filesystem::copy_file(archive, bad);
    std::filesystem::resize_file(bad, cut);
    EXPECT_EQ(ExtractArchive(bad, bad + ".out").code(), Code::kDataLoss) << cut;
  }
  {
    const std::string longer = dir_.Sub("longer");
    std::filesystem::copy_file(archive, longer);
    std::ofstream(longer, std::ios::app) << "junk";
    EXPECT_EQ(ExtractArchive(longer, longer + ".out").code(), Code::kDataLoss);
  }
  ExpectLiveUntouched();
  ASSERT_TRUE(live_->RestoreSnapshot(dir_.Sub("out")).ok());
  EXPECT_EQ(live_->applied_index(), 12u);
  EXPECT_EQ(Read(live_.get(), "key10").size(), 100u);
}

// The states a crash can leave RestoreSnapshot in, rebuilt by hand: Open
// must come up with the old or the new database, whole.
TEST(StateEngine, OpenFinishesOrRollsBackAnInterruptedRestore) {
  TempDir dir;
  const std::string g = dir.Sub("g");
  {
    auto e = MustOpen(g);
    PutKeys(e.get(), 0, 5, 3, 1);
    auto src = MustOpen(dir.Sub("src"));
    PutKeys(src.get(), 100, 105, 9, 2);
    ASSERT_TRUE(src->CreateSnapshot(dir.Sub("snap")).ok());
  }
  // Crash after the snapshot was staged, before the swap: old state.
  std::filesystem::copy(dir.Sub("snap"), g + "/db.new");
  EXPECT_EQ(MustOpen(g)->applied_index(), 3u);
  EXPECT_FALSE(std::filesystem::exists(g + "/db.new"));
  // Crash between the two renames (live moved aside, new not yet in): old.
  std::filesystem::copy(dir.Sub("snap"), g + "/db.new");
  std::filesystem::rename(g + "/db", g + "/db.old");
  EXPECT_EQ(MustOpen(g)->applied_index(), 3u);
  EXPECT_FALSE(std::filesystem::exists(g + "/db.old"));
  // Crash after the swap, before the old one was deleted: new.
  std::filesystem::rename(g + "/db", g + "/db.old");
  std::filesystem::copy(dir.Sub("snap"), g + "/db");
  std::filesystem::remove(g + "/db/" + kSnapshotManifestName);
  auto e = MustOpen(g);
  EXPECT_EQ(e->applied_index(), 9u);
  EXPECT_FALSE(std::filesystem::exists(g + "/db.old"));
}

}  // namespace
}  // namespace cairn::storage
