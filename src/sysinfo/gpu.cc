#include "sysinfo/gpu.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>

#include "sysinfo/procfs.h"

namespace iotwins::sysinfo {
namespace {

namespace fs = std::filesystem;

// Entry names of a directory, sorted; empty when it does not exist.
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::string> read_trimmed(const std::string& path) {
  auto text = procfs::read_text(path);
  if (!text) return std::nullopt;
  return procfs::trim(*text);
}

// "Key:   value" from the NVIDIA information file.
std::string info_value(const std::string& text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && procfs::trim(line.substr(0, colon)) == key) {
      return procfs::trim(line.substr(colon + 1));
    }
  }
  return {};
}

const char* vendor_name(std::string_view pci_vendor) {
  if (pci_vendor == "0x10de") return "NVIDIA";
  if (pci_vendor == "0x1002") return "AMD";
  if (pci_vendor == "0x8086") return "Intel";
  return nullptr;
}

bool is_card_name(const std::string& name) {
  if (name.size() <= 4 || !name.starts_with("card")) return false;
  return std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<Gpu> discover_gpus(const std::string& proc_root, const std::string& sys_root) {
  std::map<std::string, Gpu> by_slot;  // PCI slot ("0000:01:00.0") -> GPU

  const std::string nvidia_dir = proc_root + "/driver/nvidia/gpus";
  for (const std::string& slot : list_dir(nvidia_dir)) {
    auto text = procfs::read_text(nvidia_dir + "/" + slot + "/information");
    if (!text) continue;
    std::string bus = info_value(*text, "Bus Location");
    Gpu gpu{.vendor = "NVIDIA", .model = info_value(*text, "Model")};
    by_slot[lower(bus.empty() ? slot : bus)] = std::move(gpu);
  }

  const std::string drm_dir = sys_root + "/class/drm";
  for (const std::string& card : list_dir(drm_dir)) {
    if (!is_card_name(card)) continue;  // skip connectors like card0-HDMI-A-1
    const std::string dev = drm_dir + "/" + card + "/device";
    auto vendor = read_trimmed(dev + "/vendor");
    auto device = read_trimmed(dev + "/device");
    if (!vendor || !device) continue;
    const char* name = vendor_name(lower(*vendor));
    if (name == nullptr) continue;
    std::string slot;
    if (auto uevent = procfs::read_text(dev + "/uevent")) {
      size_t at = uevent->find("PCI_SLOT_NAME=");
      if (at != std::string::npos) {
        slot = procfs::trim(std::string_view(*uevent).substr(at + 14, uevent->find('\n', at) - at - 14));
      }
    }
    if (slot.empty()) slot = "drm:" + card;
    slot = lower(slot);
    if (by_slot.contains(slot)) continue;  // the NVIDIA driver already named it
    auto strip = [](const std::string& s) { return s.starts_with("0x") ? s.substr(2) : s; };
    Gpu gpu{.vendor = name, .model = lower(strip(*vendor) + ":" + strip(*device))};
    if (auto vram = read_trimmed(dev + "/mem_info_vram_total")) {  // amdgpu
      uint64_t bytes = 0;
      auto [p, ec] = std::from_chars(vram->data(), vram->data() + vram->size(), bytes);
      if (ec == std::errc() && p == vram->data() + vram->size()) gpu.memory_bytes = bytes;
    }
    by_slot[slot] = std::move(gpu);
  }

  std::vector<Gpu> gpus;
  gpus.reserve(by_slot.size());
  for (auto& [slot, gpu] : by_slot) gpus.push_back(std::move(gpu));
  return gpus;
}

}  // namespace iotwins::sysinfo
