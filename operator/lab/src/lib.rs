//! patchwarden-lab: The lab fleet: hosts that are directories with their own dpkg database, patched by the real apt and dpkg.
