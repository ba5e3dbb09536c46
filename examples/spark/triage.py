#!/usr/bin/env python3
"""Bounce triage on a Spark cluster: one task per (file, shard), the bounce-triage binary per task.

The job lists the input files (folders walked in sorted order, hidden entries skipped, as
`bounce-triage` walks them), cuts each plain file into shards of about --shard-bytes (a gzip file
is one task: a gzip stream cannot be entered mid-way; a Maildir is shared out file by file), and runs per task

    bounce-triage classify FILE --shard K/N -o records --summary summary --groups groups
    bounce-triage suppress records --state state        (the shard's suppression counters)

in a subprocess on the executor. The records are written as JSON Lines into OUTPUT/records
(one part file per task, in file and shard order, so their concatenation is the records of one
run over the same files in path order). The small outputs come back to the driver, which
merges them with `bounce-triage merge summary|groups|state`, decides the suppression, keep and
complaint lists from the records folder (`suppress`: the spikes that move an address to the
keep list are decided over every record), and renders the reports (`report -t ...`).

Local mode:
    python3 examples/spark/triage.py --master 'local[2]' --binary target/release/bounce-triage \
        --output out/ archive/

A cluster (the binary shipped to every executor with --files; or already on the workers, at
the same path, given with --binary):
    spark-submit --master yarn --deploy-mode client --files target/release/bounce-triage \
        examples/spark/triage.py --binary target/release/bounce-triage --output out/ /data/bounces/

The inputs and OUTPUT must be paths every executor and the driver can read and write (a shared
file system or a FUSE mount of the object store); see docs/shards.md.
"""

import argparse
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

GZIP_MAGIC = b"\x1f\x8b"
# Exit codes of bounce-triage that still carry results: 0 success, 3 some inputs unreadable
# (listed in the summary), 4 a spike was flagged.
OK_CODES = (0, 3, 4)


MAILDIR_MESSAGES = ("cur", "new")


def list_inputs(paths):
    """What bounce-triage reads, in its order: arguments in order, folders walked with entries
    sorted by name bytes and hidden entries skipped. A file is ("file", path); a Maildir (a
    folder with cur/ or new/) is ("maildir", path), given to bounce-triage as a folder so that
    it walks it itself and reads its files as Maildir messages (one message each)."""
    found = []

    def walk(folder):
        names = sorted(os.listdir(folder), key=os.fsencode)
        if any(os.path.isdir(os.path.join(folder, name)) for name in MAILDIR_MESSAGES
               if name in names):
            found.append(("maildir", folder))
            return
        for name in names:
            path = os.path.join(folder, name)
            if name.startswith("."):
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                walk(path)
            elif os.path.isfile(path):
                found.append(("file", path))

    for path in paths:
        if os.path.isdir(path):
            walk(path)
        else:
            found.append(("file", path))
    return found


def is_gzip(path):
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def plan_tasks(inputs, shard_bytes):
    """(path, K, N) for every shard of every input: a plain file in shards of about
    shard_bytes, a gzip file whole, a Maildir folder in shards of about shard_bytes of its
    files (each file whole, by the hash of its path: bounce-triage's rule)."""
    tasks = []
    for kind, path in inputs:
        if kind == "maildir":
            size = sum(
                os.path.getsize(os.path.join(root, name))
                for root, _, names in os.walk(path)
                for name in names
            )
            files = sum(len(names) for _, _, names in os.walk(path))
            count = max(1, min(files, -(-size // shard_bytes)))
        else:
            size = os.path.getsize(path)
            count = 1 if is_gzip(path) else max(1, -(-size // shard_bytes))
        tasks.extend((path, k, count) for k in range(1, count + 1))
    return tasks


def local_binary(binary):
    """The binary on this machine: the path given, else the copy Spark shipped with --files."""
    if not os.path.exists(binary):
        from pyspark import SparkFiles

        binary = SparkFiles.get(os.path.basename(binary))
    mode = os.stat(binary).st_mode
    if not mode & stat.S_IXUSR:
        os.chmod(binary, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return binary


def run(command):
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode not in OK_CODES:
        raise RuntimeError(
            f"{' '.join(command)} exited with {done.returncode}: {done.stderr.decode(errors='replace')}"
        )
    return done


def shard_task(binary, extra, threads):
    """The function each task runs: yields ('r', line) per record, then ('s'|'g'|'t', index,
    text) for the summary, the partial groups and the suppression state."""

    def run_tasks(index, tasks):
        exe = local_binary(binary)
        for path, k, count in tasks:
            folder = tempfile.mkdtemp(prefix="bounce-shard-")
            try:
                records = os.path.join(folder, "records.jsonl")
                summary = os.path.join(folder, "summary.json")
                groups = os.path.join(folder, "groups.json")
                state = os.path.join(folder, "state.json")
                run([exe, "classify", path, "--shard", f"{k}/{count}", "--quiet",
                     "--threads", str(threads), "-o", records, "--summary", summary,
                     "--groups", groups] + extra)
                # The shard's suppression counters, from its own records (read back, not
                # extracted again).
                run([exe, "suppress", records, "--quiet", "-o", os.devnull, "--state", state])
                with open(records, encoding="utf-8") as handle:
                    for line in handle:
                        yield ("r", line.rstrip("\n"))
                for tag, name in (("s", summary), ("g", groups), ("t", state)):
                    with open(name, encoding="utf-8") as handle:
                        yield (tag, index, handle.read())
            finally:
                shutil.rmtree(folder, ignore_errors=True)

    return run_tasks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="+", help="files and folders to triage")
    parser.add_argument("--output", required=True, help="output folder (must not exist)")
    parser.add_argument("--binary", default="bounce-triage", help="path to bounce-triage")
    parser.add_argument("--master", default=None, help="Spark master, e.g. local[2]")
    parser.add_argument("--shard-bytes", type=int, default=64 << 20,
                        help="bytes of a plain file per task (default 64 MiB)")
    parser.add_argument("--threads", type=int, default=1, help="threads per task")
    parser.add_argument("--template", action="append", default=None,
                        help="report templates to render on the driver (repeatable; "
                             "default triage-summary)")
    parser.add_argument("--read-args", default="",
                        help="more reading flags for every shard, as one string "
                             "(e.g. \"--rules my-rules/ --log-year 2026\")")
    args = parser.parse_args(argv)
    extra = shlex.split(args.read_args)
    if "://" in args.output:
        sys.exit("--output is a folder path that the driver and every executor share "
                 "(a shared or mounted file system), not a URL")

    from pyspark.sql import SparkSession
    from pyspark import StorageLevel

    builder = SparkSession.builder.appName("bounce-triage")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    context = spark.sparkContext

    files = list_inputs(args.inputs)
    tasks = plan_tasks(files, args.shard_bytes)
    if not tasks:
        sys.exit("no input files")
    os.makedirs(args.output)
    # One task per partition, in file and shard order: part-NNNNN follows that order.
    results = context.parallelize(tasks, len(tasks)).mapPartitionsWithIndex(
        shard_task(args.binary, extra, args.threads)
    )
    results.persist(StorageLevel.MEMORY_AND_DISK)
    records_dir = os.path.join(args.output, "records")
    results.filter(lambda item: item[0] == "r").map(lambda item: item[1]).saveAsTextFile(
        "file://" + os.path.abspath(records_dir)
    )
    small = sorted(results.filter(lambda item: item[0] != "r").collect(), key=lambda i: i[1])
    results.unpersist()
    spark.stop()

    # The driver merges the small outputs and decides what needs every record.
    exe = args.binary if os.path.exists(args.binary) else shutil.which(args.binary)
    parts_dir = os.path.join(args.output, "shards")
    os.makedirs(parts_dir)
    kinds = {"s": "summary", "g": "groups", "t": "state"}
    names = {tag: [] for tag in kinds}
    for tag, index, text in small:
        name = os.path.join(parts_dir, f"{kinds[tag]}-{index:05}.json")
        with open(name, "w", encoding="utf-8") as handle:
            handle.write(text)
        names[tag].append(name)

    def out(name):
        return os.path.join(args.output, name)

    run([exe, "merge", "summary", *names["s"], "-o", out("summary.json")])
    run([exe, "merge", "groups", *names["g"], "-o", out("groups.json")])
    run([exe, "merge", "state", *names["t"], "-o", out("state.json")])
    # The records folder is read in name order (part-00000, ...: file and shard order);
    # Hadoop's hidden .crc files are skipped and its empty _SUCCESS holds no message.
    run([exe, "suppress", records_dir, "--quiet", "-o", out("suppress.csv"),
         "--keep", out("keep.csv"), "--complaints", out("complaints.csv")])
    for template in args.template or ["triage-summary"]:
        suffix = "html" if template == "triage-summary" else "md"
        run([exe, "report", records_dir, "--quiet", "-t", template,
             "-o", out(f"report-{template}.{suffix}")])
    with open(out("summary.json"), encoding="utf-8") as handle:
        summary = json.load(handle)
    print(f"{len(files)} files, {len(tasks)} tasks, {summary['messages']} messages, "
          f"{summary['records']} records -> {args.output}")


if __name__ == "__main__":
    main()
