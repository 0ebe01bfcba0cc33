#!/usr/bin/env bash
# Prints this machine's CPU class as a folder name: brand, family and model
# ("AMD-EPYC-family26-model2"), so that two parts sold under one brand string
# (Zen 4 and Zen 5 EPYC VMs both say "AMD EPYC") keep separate results and profiles.
# On Arm, where /proc/cpuinfo has no brand: implementer and part ("aarch64-0x41-0xd0c").
set -u
info=/proc/cpuinfo
brand=$(awk -F': ' '/^model name/{print $2; exit}' "$info" 2>/dev/null | tr -cs 'A-Za-z0-9' '-' | sed 's/^-//;s/-$//')
fam=$(awk -F': ' '/^cpu family/{print $2; exit}' "$info" 2>/dev/null)
model=$(awk -F': ' '/^model[ \t]*:/{print $2; exit}' "$info" 2>/dev/null)
impl=$(awk -F': ' '/^CPU implementer/{print $2; exit}' "$info" 2>/dev/null)
part=$(awk -F': ' '/^CPU part/{print $2; exit}' "$info" 2>/dev/null)
if [ -n "$brand" ]; then
  name=$brand${fam:+-family$fam}${model:+-model$model}
elif [ -n "$impl" ]; then
  name=$(uname -m)-$impl-$part
else
  name=$(uname -m)
fi
echo "$name" | tr -cs 'A-Za-z0-9.\n-' '-'
