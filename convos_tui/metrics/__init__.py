"""The fleet for Prometheus: a collector that builds the metrics at scrape time, and the server of `/metrics`."""
