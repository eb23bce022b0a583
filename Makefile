# heph — a thin front door over Meson/Ninja.
#   make            build (release-ish, -Werror)
#   make test       unit + CLI tests in the normal build and in an ASan+UBSan build
#   make install    PREFIX=DIR (default /usr/local)
#   make demo       build, create a sample database, show the project tree and task list
#   make bench      benchmarks (not tests); figures go to bench/RESULTS.md (QUICK=1: a short run;
#                   BASELINE=REV: that revision built and timed beside this one)
#   make fuzz       libFuzzer targets with clang, FUZZ_SECONDS each (default 60)
#   make valgrind   the CLI tests under valgrind memcheck
#   make soak       the convergence soak on random seeds for SOAK_SECONDS (default 600), SOAK_STEPS each,
#                   against the SQLite hub and then the PostgreSQL hub (two instances, two owners),
#                   then the model-based test (tests/model/model.py) on random seeds for as long
#   make deb        the Debian packages, ./heph_VERSION_ARCH.deb and ./heph-capture_VERSION_ARCH.deb (debian/)
PREFIX ?= /usr/local
BUILD  ?= build
SAN    ?= build-san
FUZZ   ?= build-fuzz
MESON_FLAGS ?=
SOAK_SECONDS ?= 600
SOAK_STEPS ?= 200

.PHONY: all deps test test-fast test-san install demo bench fuzz valgrind soak deb clean

all: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD) --quiet

deps:
	@sh scripts/deps.sh

# The build directories are set up only after deps has installed meson:
# order-only, so that make -j never runs meson setup beside the install.
$(BUILD)/build.ninja: | deps
	@meson setup $(BUILD) --buildtype=debugoptimized -Dwerror=true $(MESON_FLAGS) >/dev/null

$(SAN)/build.ninja: | deps
	@meson setup $(SAN) --buildtype=debug -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all $(MESON_FLAGS) >/dev/null

test: deps $(BUILD)/build.ninja $(SAN)/build.ninja
	@sh scripts/run-tests.sh $(BUILD) $(SAN)

test-fast: deps $(BUILD)/build.ninja
	@sh scripts/run-tests.sh $(BUILD)

install: all
	@meson configure $(BUILD) -Dprefix=$(abspath $(PREFIX)) >/dev/null
	@meson install -C $(BUILD) --quiet

demo: all
	@sh scripts/demo.sh $(BUILD)

bench: all
	@sh bench/run.sh $(BUILD)

$(FUZZ)/build.ninja: | deps
	@CC=clang-14 meson setup $(FUZZ) --buildtype=debugoptimized -Dwerror=true -Dfuzz=true -Dstatic_deps=false \
		-Db_sanitize=address,undefined -Db_lundef=false -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >/dev/null

fuzz: deps
	@FUZZ_DEPS=1 sh scripts/deps.sh
	@$(MAKE) --no-print-directory $(FUZZ)/build.ninja
	@ninja -C $(FUZZ) --quiet
	@sh scripts/fuzz.sh $(FUZZ)

valgrind: all
	@sh scripts/valgrind.sh $(BUILD)

soak: all
	@HEPH=$(BUILD)/src/cli/heph HEPHD=$(BUILD)/src/daemon/hephd \
		nice python3 tests/sync/soak.py --seconds $(SOAK_SECONDS) --steps $(SOAK_STEPS) --keep-failed
	@HEPH=$(BUILD)/src/cli/heph HEPHD=$(BUILD)/src/daemon/hephd \
		nice python3 tests/sync/soak.py --pg --seconds $(SOAK_SECONDS) --steps $(SOAK_STEPS) --keep-failed
	@HEPH=$(BUILD)/src/cli/heph HEPHD=$(BUILD)/src/daemon/hephd \
		nice python3 tests/model/model.py --seconds $(SOAK_SECONDS) --steps 60

# dpkg-buildpackage writes beside the source tree; the package is moved here.
deb: deps
	@sh scripts/deb.sh .

clean:
	rm -rf $(BUILD) $(SAN) $(FUZZ)
