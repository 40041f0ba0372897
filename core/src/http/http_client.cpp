// Placeholder; the HTTP helper writes the libcurl implementation.
#include "dns01/http.hpp"
