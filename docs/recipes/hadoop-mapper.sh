#!/bin/sh
# Hadoop Streaming mapper for logwhy (docs/recipes/sharding.md): triage the
# split on stdin as one shard, on one line keyed by input file and offset,
# so that the single reducer (cut -f 2- | logwhy merge -) gets the shards
# in input order after the shuffle's sort.
key=$(printf '%s:%020d' "${mapreduce_map_input_file:-stdin}" "${mapreduce_map_input_start:-0}")
printf '%s\t' "$key"
exec logwhy triage --output json --shard -q --input-format ndjson -
