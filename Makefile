# User-facing verbs over the Meson build. build/ is the Meson build directory; the binaries end up
# at build/cocoon, build/cocoond, build/cocoon-runtime and build/cocoon-kbs.
#
#   make            build everything
#   make check      install missing packages, build, run unit and integration tests
#   make demo       install missing packages, build, run the end-to-end demonstration
#   make install    install binaries, man pages and example configs (PREFIX=/usr/local, DESTDIR=)
#   make format     apply .clang-format to every C file;  make lint: check formatting, warnings and
#                   the conventions outside src/lib (scripts/check-conventions: the library's allocation
#                   and JSON parsing only)
#   make fuzz       build the libFuzzer targets with clang and run each (FUZZ_SECONDS=60,
#                   FUZZ_TARGETS="fuzz_yaml fuzz_h2" for some); `make check` replays their corpora
#   make sanitize   build with ASan+UBSan in build-asan/ and run the unit tests there
#   make tsan       build cocoon with ThreadSanitizer in build-tsan/ and run the audit forwarder's
#                   suites with it (the forwarder is the most threaded code); any race fails them

BUILD ?= build
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
MESON_FLAGS ?=
# CI (CI=true) treats warnings as errors.
ifeq ($(CI),true)
MESON_FLAGS += -Dwerror=true
endif

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')

.PHONY: all deps check demo install format lint fuzz sanitize tsan clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX) $(MESON_FLAGS)

deps:
	@scripts/install-deps

check: deps
	@$(MAKE) --no-print-directory all
	scripts/run-tests $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	scripts/demo $(BUILD)

install: all
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(DESTDIR))

format:
	clang-format -i $(C_FILES)

lint: all
	clang-format --dry-run --Werror $(C_FILES)
	scripts/check-conventions
	@echo "lint: formatting and conventions clean"

fuzz: deps
	@test -f build-fuzz/build.ninja || CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false -Db_lundef=false
	ninja -C build-fuzz
	scripts/run-fuzz build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

sanitize: deps
	@test -f build-asan/build.ninja || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 meson test -C build-asan --print-errorlogs

tsan: deps
	@test -f build-tsan/build.ninja || meson setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dtests=false
	ninja -C build-tsan cocoon
	TSAN_OPTIONS=halt_on_error=1 COCOON_BUILD=$(CURDIR)/build-tsan bats tests/integration/audit.bats \
		tests/integration/audit_forward.bats tests/integration/audit_relp.bats tests/integration/audit_hec.bats

clean:
	rm -rf $(BUILD) build-fuzz build-asan build-tsan
