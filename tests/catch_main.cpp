// The one Catch2 main shared by every unit-test executable (Catch2 v2 ships none compiled).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
