#!/usr/bin/python3
"""metrics.py — read Prometheus text on stdin with prometheus_client's own
parser (Debian's python3-prometheus-client) and print one line per sample,
"NAME{label=value,...} VALUE" with labels sorted; a text the parser refuses
makes it fail."""
import sys

from prometheus_client.parser import text_string_to_metric_families

for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %s" % (s.name, labels, repr(float(s.value))))
