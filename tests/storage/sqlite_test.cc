#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "storage/database.h"
#include "storage/migrations.h"

namespace iotwins::storage {
namespace {

std::string fresh_path(const std::string& name) {
  std::string path = testing::TempDir() + name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  return path;
}

const std::vector<Migration> kMigrations = {
    {1, "create things", "CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER NOT NULL)"},
    {2, "add note", "ALTER TABLE things ADD COLUMN note TEXT"},
};

TEST(Sqlite, ExecuteQueryAndTypes) {
  auto db = open_sqlite(fresh_path("types.db"));
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE((*db)->exec_script("CREATE TABLE t (a INTEGER, b REAL, c TEXT, d TEXT)"));
  auto r = (*db)->execute("INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
                          {int64_t{42}, 2.5, std::string("x'; DROP TABLE t; --"), nullptr});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->rows_changed, 1);
  auto rows = (*db)->query("SELECT a, b, c, d FROM t");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  const Row& row = rows->front();
  EXPECT_EQ(row.integer(0), 42);
  EXPECT_DOUBLE_EQ(row.real(1), 2.5);
  EXPECT_EQ(row.text(2), "x'; DROP TABLE t; --");  // bound, never interpreted
  EXPECT_TRUE(row.is_null(3));
}

TEST(Sqlite, ErrorsCarryCodesAndTheStatement) {
  auto db = open_sqlite(fresh_path("errors.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->exec_script("CREATE TABLE u (id TEXT PRIMARY KEY)"));
  ASSERT_TRUE((*db)->execute("INSERT INTO u VALUES (?1)", {std::string("a")}));
  auto dup = (*db)->execute("INSERT INTO u VALUES (?1)", {std::string("a")});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), Errc::conflict);
  auto bad = (*db)->query("SELEC nonsense");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("SELEC nonsense"), std::string::npos);
  auto params = (*db)->execute("INSERT INTO u VALUES (?1)", {});
  ASSERT_FALSE(params);
  EXPECT_NE(params.error().message().find("expects 1 parameters"), std::string::npos);
}

TEST(Sqlite, TransactionRollsBackOnError) {
  auto db = open_sqlite(fresh_path("tx.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->exec_script("CREATE TABLE v (n INTEGER)"));
  auto st = (*db)->transaction([](Database& tx) -> Status {
    IOT_TRY(tx.execute("INSERT INTO v VALUES (1)"));
    return make_error(Errc::invalid_argument, "changed my mind");
  });
  ASSERT_FALSE(st);
  EXPECT_EQ((*db)->query("SELECT COUNT(*) FROM v")->front().integer(0), 0);
  ASSERT_TRUE((*db)->transaction([](Database& tx) -> Status {
    IOT_TRY(tx.execute("INSERT INTO v VALUES (1)"));
    IOT_TRY(tx.execute("INSERT INTO v VALUES (2)"));
    return ok();
  }));
  EXPECT_EQ((*db)->query("SELECT COUNT(*) FROM v")->front().integer(0), 2);
}

TEST(Migrations, ApplyInOrderOnceAndSurviveReopen) {
  std::string path = fresh_path("mig.db");
  {
    auto db = open_sqlite(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(migrate(**db, "things", {kMigrations[0]}));
    EXPECT_EQ(*schema_version(**db, "things"), 1);
    ASSERT_TRUE((*db)->execute("INSERT INTO things (id, n) VALUES ('a', 1)"));
  }
  auto db = open_sqlite(path);
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(**db, "things", kMigrations));  // only version 2 runs
  ASSERT_TRUE(migrate(**db, "things", kMigrations));  // nothing to do
  EXPECT_EQ(*schema_version(**db, "things"), 2);
  EXPECT_EQ(*schema_version(**db, "other"), 0);
  auto rows = (*db)->query("SELECT id, note FROM things");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_TRUE(rows->front().is_null(1));
}

TEST(Migrations, NewerSchemaIsRefusedWithBothVersions) {
  auto db = open_sqlite(fresh_path("down.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(**db, "things", kMigrations));
  auto st = migrate(**db, "things", {kMigrations[0]});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::unsupported);
  EXPECT_NE(st.error().message().find("version 2"), std::string::npos);
  EXPECT_NE(st.error().message().find("up to 1"), std::string::npos);
}

TEST(Migrations, FailedMigrationLeavesThePreviousVersion) {
  auto db = open_sqlite(fresh_path("failmig.db"));
  ASSERT_TRUE(db);
  std::vector<Migration> broken = {kMigrations[0], {2, "broken", "ALTER TABLE nope ADD COLUMN x"}};
  ASSERT_FALSE(migrate(**db, "things", broken));
  EXPECT_EQ(*schema_version(**db, "things"), 1);
}

// A process killed (SIGKILL) in the middle of writing: every committed row is there after
// reopening, the open transaction is gone, and the database passes its integrity check.
TEST(Sqlite, ReopenAfterCrashKeepsCommittedRows) {
  std::string path = fresh_path("crash.db");
  {
    auto db = open_sqlite(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(migrate(**db, "things", kMigrations));
  }
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto db = open_sqlite(path);
    if (!db) _exit(1);
    for (int i = 0; i < 100; ++i) {
      if (!(*db)->execute("INSERT INTO things (id, n) VALUES (?1, ?2)",
                          {"c" + std::to_string(i), int64_t{i}})) {
        _exit(2);
      }
    }
    (void)(*db)->exec_script("BEGIN; INSERT INTO things (id, n) VALUES ('uncommitted', 0);");
    char c = 1;
    (void)!write(ready[1], &c, 1);
    pause();  // killed here, mid-transaction
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto db = open_sqlite(path);
  ASSERT_TRUE(db) << db.error().to_string();
  EXPECT_EQ((*db)->query("SELECT COUNT(*) FROM things")->front().integer(0), 100);
  EXPECT_TRUE((*db)->query("SELECT 1 FROM things WHERE id = 'uncommitted'")->empty());
  ASSERT_TRUE((*db)->execute("INSERT INTO things (id, n) VALUES ('after', 1)"));
}

TEST(Sqlite, GarbageFileIsReportedAsCorrupt) {
  std::string path = fresh_path("garbage.db");
  std::ofstream(path) << std::string(8192, 'x');
  auto db = open_sqlite(path);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code(), Errc::corruption);
  EXPECT_NE(db.error().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace iotwins::storage
