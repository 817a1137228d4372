#!/usr/bin/python3
"""Prints the hand / autoscheduler / tuned table (Markdown) from tune.py --results files.

Each cell is a candidate's throughput relative to the hand schedule's (hand = 1.00; higher is faster): the
inverse of the median over rounds of its time / the hand schedule's time in the same round, with its median
time per call. Usage: schedules/tune/table.py RESULTS.jsonl...
"""

import json
import sys

AUTOSCHEDULERS = ["Adams2019", "Li2018", "Mullapudi2016"]


def cell(result, name):
    median = result["median_ms"].get(name)
    error = result["errors"].get(name, "")
    if median is None:
        return "not timed" if not error else ("stopped (> 8x hand)" if error.startswith("stopped") else "failed")
    ratio = result["ratio_to_hand"][name]
    rounds = len(result["times_ms"][name])
    text = f"{1 / ratio:.2f}x ({median:.3g} ms)"
    if error.startswith("dropped"):
        text += f", {rounds} round{'s' if rounds > 1 else ''}"
    return text


def main():
    results = [json.loads(line) for path in sys.argv[1:] for line in open(path) if line.strip()]
    print("| pipeline | target | hand | Adams2019 | Li2018 | Mullapudi2016 | best register block | tuned "
          "(kept) | load average |")
    print("|---|---|---|---|---|---|---|---|---|")
    for result in results:
        if not result.get("measured"):
            continue
        medians = result["median_ms"]
        blocks = [name for name in medians if name.startswith("hand x_block=")]
        ratios = result["ratio_to_hand"]
        best_block = min(blocks, key=lambda name: ratios[name] or float("inf"), default=None)
        block_text = f"{best_block[5:]}: {cell(result, best_block)}" if best_block else "-"
        winner = result["winner"]
        tuned = f"{winner}: {cell(result, winner)}"
        print(f"| {result['pipeline']} | {result['family']} | 1.00x ({medians['hand']:.3g} ms) | "
              + " | ".join(cell(result, name) for name in AUTOSCHEDULERS)
              + f" | {block_text} | {tuned} | {result['load_start'].split()[0]}-{result['load_end'].split()[0]} |")


if __name__ == "__main__":
    main()
