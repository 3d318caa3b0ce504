// tsdb benchmark driver; one subcommand per measurement (bench_*.cc), each printing one JSON
// object on its last line:
//   tsdb_bench compare SKAB_DIR WORK_DIR FLEET_SECONDS   engine vs SQLite, query latencies
//   tsdb_bench influx URL DATA WAL WORK SECONDS SERIES   engine vs a running InfluxDB 1.x
//   tsdb_bench kill WORK_DIR INGEST_SECONDS SERIES       kill -9 at full ingest, reopen, verify
#include <cstring>

#include "bench_data.h"

int main(int argc, char** argv) {
  using namespace tsdb_bench;
  if (argc >= 2 && std::strcmp(argv[1], "compare") == 0) return run_compare(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "influx") == 0) return run_influx(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "kill") == 0) return run_kill(argc, argv);
  die("usage: tsdb_bench compare|influx|kill ...");
}
