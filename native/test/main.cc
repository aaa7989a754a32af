// Native unit tests (doctest, Debian package doctest-dev). Run: make -C native test
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
