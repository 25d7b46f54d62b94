//! patchwarden-executor: How actions reach an asset: the executor trait and its lab, SSH and other implementations.
