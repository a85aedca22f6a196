#include "system/device_spec.h"

#include <cctype>
#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace locklab {
namespace {

std::vector<std::string_view> split_items(std::string_view text)
{
    std::vector<std::string_view> items;
    size_t i = 0;
    while (i < text.size()) {
        const size_t end = text.find_first_of(", \t", i);
        const size_t stop = end == std::string_view::npos ? text.size() : end;
        if (stop > i) items.push_back(text.substr(i, stop - i));
        i = stop + 1;
    }
    return items;
}

}  // namespace

DeviceSpec parse_device_spec(std::string_view text)
{
    const auto items = split_items(text);
    if (items.empty() || items[0].find('=') != std::string_view::npos)
        throw DeviceSpecError(fmt::format("device '{}': expected TYPE[,KEY=VALUE...]", text));
    DeviceSpec spec;
    spec.type = std::string(items[0]);
    for (size_t i = 1; i < items.size(); ++i) {
        const std::string_view item = items[i];
        const size_t eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0)
            throw DeviceSpecError(fmt::format("device '{}': '{}' is not KEY=VALUE", text, item));
        if (!spec.props.emplace(item.substr(0, eq), item.substr(eq + 1)).second)
            throw DeviceSpecError(fmt::format("device '{}': property '{}' given twice", text, item.substr(0, eq)));
    }
    return spec;
}

bool qemu_id_wellformed(std::string_view id)
{
    if (id.empty() || !std::isalpha(static_cast<unsigned char>(id[0]))) return false;
    for (unsigned char c : id)
        if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_')) return false;
    return true;
}

DeviceSpec parse_option_list(std::string_view what, std::string_view text)
{
    DeviceSpec spec;
    spec.type = std::string(what);
    std::string item;
    auto finish_item = [&] {
        const size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
            throw DeviceSpecError(fmt::format("{} {}: '{}' is not KEY=VALUE", what, text, item));
        if (!spec.props.emplace(item.substr(0, eq), item.substr(eq + 1)).second)
            throw DeviceSpecError(fmt::format("{} {}: '{}' given twice", what, text, item.substr(0, eq)));
        item.clear();
    };
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != ',') {
            item += text[i];
        } else if (i + 1 < text.size() && text[i + 1] == ',') {
            item += ',';
            ++i;
        } else {
            finish_item();
        }
    }
    finish_item();
    return spec;
}

std::string DeviceSpec::take(std::string_view key, std::string fallback)
{
    auto it = props.find(key);
    if (it == props.end()) return fallback;
    std::string v = std::move(it->second);
    props.erase(it);
    return v;
}

uint64_t DeviceSpec::take_u64(std::string_view key, uint64_t fallback)
{
    if (props.find(key) == props.end()) return fallback;
    const std::string s = take(key);
    std::string_view digits = s;
    int base = 10;
    if (digits.starts_with("0x") || digits.starts_with("0X")) {
        digits.remove_prefix(2);
        base = 16;
    }
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
        throw DeviceSpecError(fmt::format("{}: property {}={} is not a number", type, key, s));
    return v;
}

void DeviceSpec::expect_all_taken() const
{
    if (!props.empty())
        throw DeviceSpecError(fmt::format("{}: unknown property '{}'", type, props.begin()->first));
}

}  // namespace locklab
