//! patchwarden-core: the pure domain. No I/O, no clock, no Kubernetes, no network:
//! every function takes plain data (and `now` as a parameter) and returns plain data.
