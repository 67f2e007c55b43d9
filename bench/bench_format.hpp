// How the benches print figures: fixed decimals and thousands separators.
#pragma once

#include <string>

namespace consent::bench {

std::string fixed(double value, int decimals);
// Rounded to a whole number, with "," between thousands: 12,345.
std::string with_thousands(double value);

}  // namespace consent::bench
