// provider-noexports.so: a shared object that is not a dns01 provider (no aliases at all).
int dns01_not_a_provider() { return 42; }
