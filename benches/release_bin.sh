# Sourced by the bench scripts: sets `bin` to the hashsweep binary to time. HASHSWEEP_BIN=path
# times a binary built elsewhere (no build then); otherwise this checkout's release build,
# made first (CARGO_TARGET_DIR, default target).
if [ -n "${HASHSWEEP_BIN:-}" ]; then
  bin=$HASHSWEEP_BIN
else
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
  cargo build --release --locked --quiet
  bin=$CARGO_TARGET_DIR/release/hashsweep
fi
