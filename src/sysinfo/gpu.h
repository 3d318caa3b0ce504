// GPU discovery: NVIDIA's driver entries in /proc and PCI display devices behind /sys/class/drm.
#pragma once

#include <string>
#include <vector>

#include "sysinfo/sysinfo.h"

namespace iotwins::sysinfo {

// Only vendors with a compute stack tasks can use count (NVIDIA 0x10de, AMD 0x1002, Intel
// 0x8086): virtual VGA adapters (QEMU, virtio, VMware), server BMC graphics (ASPEED, Matrox) and
// SoC display controllers without a PCI vendor (Raspberry Pi vc4) are not GPUs to schedule on.
// A GPU seen both by the NVIDIA driver and DRM (same PCI slot) is listed once. Sorted by slot.
std::vector<Gpu> discover_gpus(const std::string& proc_root, const std::string& sys_root);

}  // namespace iotwins::sysinfo
