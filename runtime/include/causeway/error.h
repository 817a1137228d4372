// Errors that reach the user. The CLI prints "causeway <subcommand>: " followed by what(); the message
// itself names the file and the line, field or tensor at fault.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace causeway {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string &what) : std::runtime_error(what) {}
};

template <typename... Args> [[noreturn]] void fail(fmt::format_string<Args...> format, Args &&...args) {
    throw Error(fmt::format(format, std::forward<Args>(args)...));
}

} // namespace causeway
