#pragma once
// Include ldns through this header, never <ldns/ldns.h> directly: ldns/common.h defines the
// macros `bool`, `true` and `false` in C++ unless __bool_true_false_are_defined is set, which
// breaks later standard headers (e.g. <optional>'s operator<=>). <stdbool.h> sets it.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers): must come before ldns

#include <ldns/ldns.h>
