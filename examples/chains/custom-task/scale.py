#!/usr/bin/env python3
"""A custom task of a computing chain, in Python: JSON lines in on stdin, JSON lines out on stdout.

The agent runs it under `iotwins stream-bridge`, which writes every record of the task's input
streams to stdin as one line of JSON and publishes every JSON object the task prints on its output
streams. Anything else it prints goes to the task's log (`iotwins deployments logs`).

  scale.py --field temp --factor 1.8 --offset 32 --as temp_f   adds temp_f = temp * 1.8 + 32
  scale.py --print                                             logs each record it receives
"""
import argparse
import json
import sys


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--field", help="the numeric field to scale")
    p.add_argument("--factor", type=float, default=1.0)
    p.add_argument("--offset", type=float, default=0.0)
    p.add_argument("--as", dest="target", help="the field the result goes to (default: --field)")
    p.add_argument("--print", action="store_true", help="log each record instead of scaling it")
    args = p.parse_args()
    if not args.print and not args.field:
        p.error("--field is required unless --print")
    print(f"scale.py ready: {'printing' if args.print else f'{args.field} * {args.factor} + {args.offset}'}",
          flush=True)
    for line in sys.stdin:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            print(f"skipped a line that is not JSON: {e}", file=sys.stderr, flush=True)
            continue
        if not isinstance(record, dict):
            continue
        if args.print:
            print("archived " + json.dumps(record, sort_keys=True), flush=True)
            continue
        value = record.get(args.field)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        record[args.target or args.field] = value * args.factor + args.offset
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
