"""Stand-in for the ML retraining commands in tests, speaking their command-line contract.

    retrain_step.py pipeline --state DIR --gate pass|reject|crash
        prints progress, then {"registration": {...}, "manifest": {...}} like `python -m ml pipeline`
    retrain_step.py rollout --state DIR [--fail]
        moves DIR/serving.json to the registered version, like `python -m ml rollout` (exit 1 keeps it)
Every call is appended to DIR/calls.log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["pipeline", "rollout"])
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--gate", choices=["pass", "reject", "crash"], default="pass")
    parser.add_argument("--fail", action="store_true")
    args = parser.parse_args()
    with (args.state / "calls.log").open("a", encoding="utf-8") as log:
        log.write(args.step + "\n")
    serving = json.loads((args.state / "serving.json").read_text(encoding="utf-8"))
    if args.step == "pipeline":
        if args.gate == "crash":
            print("training failed: no training data", file=sys.stderr)
            return 1
        print("training data ... (20000 rows)")
        registered = args.gate == "pass"
        registration = {
            "registered": registered,
            "model_name": "card-fraud",
            "reason": "roc_auc 0.91 vs champion 0.90: better by 0.01 >= margin 0.002"
            if registered
            else "roc_auc 0.85 vs champion 0.90: not better by the margin 0.002",
        }
        if registered:
            registration["version"] = str(int(serving["version"]) + 1)
            (args.state / "registered.json").write_text(json.dumps(registration), encoding="utf-8")
        print(json.dumps({"registration": registration, "manifest": serving}, indent=2))
        return 0
    if args.fail:
        print("smoke test failed: 1 of 16 rows without a score", file=sys.stderr)
        return 1
    registered = json.loads((args.state / "registered.json").read_text(encoding="utf-8"))
    (args.state / "serving.json").write_text(json.dumps({"version": registered["version"]}), encoding="utf-8")
    print(f"card-fraud version {registered['version']} serves from deployment green")
    return 0


if __name__ == "__main__":
    sys.exit(main())
