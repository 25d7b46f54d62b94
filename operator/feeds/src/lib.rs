//! patchwarden-feeds: Fetching, verifying and loading vulnerability feeds (OSV, Debian tracker, Alpine secdb, KEV, EPSS) into the core index.
