#!/usr/bin/env bash
# Software Vulkan (Mesa lavapipe) so the WebGPU tests run on a machine without a GPU.
# Dawn rejects Debian 12's own lavapipe (Mesa 22.3); Mesa 25 from the backports suite works.
# The backports package is unpacked privately under $LVP_HOME; nothing system-wide changes except
# Debian's mesa-vulkan-drivers + libvulkan1, installed for their shared-library dependencies.
# Prints the export line for VK_DRIVER_FILES; exits non-zero (and the WebGPU tests skip) on failure.
set -euo pipefail
LVP_HOME="${LVP_HOME:-/tmp/lavapipe}"
{
  if ! dpkg -s mesa-vulkan-drivers libvulkan1 >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mesa-vulkan-drivers libvulkan1
  fi
  if [ ! -e "$LVP_HOME/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" ]; then
    . /etc/os-release
    # The same mirror the machine already uses, backports suite.
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
      awk '/^deb / { print $2; exit }' /etc/apt/sources.list)
    mkdir -p "$LVP_HOME/apt/lists/partial" "$LVP_HOME/apt/cache/archives/partial" "$LVP_HOME/deb"
    echo "deb $uri $VERSION_CODENAME-backports main" > "$LVP_HOME/apt/sources.list"
    O=(-o Dir::Etc::SourceList="$LVP_HOME/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
       -o Dir::State::Lists="$LVP_HOME/apt/lists" -o Dir::Cache="$LVP_HOME/apt/cache")
    apt-get "${O[@]}" update -qq
    (cd "$LVP_HOME/deb" && apt-get "${O[@]}" download "mesa-vulkan-drivers/$VERSION_CODENAME-backports")
    dpkg -x "$LVP_HOME"/deb/mesa-vulkan-drivers_*.deb "$LVP_HOME/root"
  fi
} >&2
printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' \
  "$LVP_HOME/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" > "$LVP_HOME/lvp_icd.json"
echo "export VK_DRIVER_FILES=$LVP_HOME/lvp_icd.json VK_ICD_FILENAMES=$LVP_HOME/lvp_icd.json"
