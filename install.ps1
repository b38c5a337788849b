# Install lmi on Windows: download lmi-x86_64-pc-windows-msvc.exe and SHA256SUMS from the release,
# check the sum, and put the binary at $env:LMI_INSTALL_DIR\lmi.exe (default:
# $HOME\.local\bin\lmi.exe), atomically (a temp file in that folder, then a rename). An existing
# lmi.exe there that is a folder (or a link to one) is refused: Move-Item would put the binary in it.
#
#   irm https://github.com/ORG/lmi/releases/latest/download/install.ps1 | iex
#
# Environment: LMI_VERSION (a tag such as v0.1.0; default: latest), LMI_INSTALL_DIR,
# LMI_INSTALL_BASE_URL (where the release files are).
#
# Not run by lmi's tests (no PowerShell on the build machine); the release workflow and CI use it.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$RepoUrl = 'https://github.com/ORG/lmi' # the release workflow writes the real repository here

# Errors are thrown, never `exit`: under `irm … | iex` the script runs in the user's own session,
# which `exit` would close. A thrown error still ends `pwsh -File` and the Action's step with 1, and
# the `finally` below removes the temporary files either way.
function Fail([string]$Message) {
  throw "lmi install: error: $Message"
}

$arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString()
if ($arch -ne 'X64') { Fail "unsupported architecture: $arch (Windows x86_64 only)" }
$asset = 'lmi-x86_64-pc-windows-msvc.exe'

if ($env:LMI_VERSION) { $defaultBase = "$RepoUrl/releases/download/$($env:LMI_VERSION)" }
else { $defaultBase = "$RepoUrl/releases/latest/download" }
$base = if ($env:LMI_INSTALL_BASE_URL) { $env:LMI_INSTALL_BASE_URL } else { $defaultBase }
$dir = if ($env:LMI_INSTALL_DIR) { $env:LMI_INSTALL_DIR } else { Join-Path $HOME '.local\bin' }
$target = Join-Path $dir 'lmi.exe'

# Checked before anything is downloaded and again just before the move.
function Assert-NotFolder {
  if (Test-Path -LiteralPath $target -PathType Container) {
    Fail "$target is a folder, not a file: remove it or set LMI_INSTALL_DIR to another folder"
  }
}
Assert-NotFolder

$work = Join-Path ([System.IO.Path]::GetTempPath()) ("lmi-install-" + [System.Guid]::NewGuid())
New-Item -ItemType Directory -Path $work | Out-Null
$tmp = $null
try {
  $ProgressPreference = 'SilentlyContinue'
  try { Invoke-WebRequest -UseBasicParsing -Uri "$base/$asset" -OutFile (Join-Path $work $asset) }
  catch { Fail "cannot download $base/$asset" }
  try { Invoke-WebRequest -UseBasicParsing -Uri "$base/SHA256SUMS" -OutFile (Join-Path $work 'SHA256SUMS') }
  catch { Fail "cannot download $base/SHA256SUMS" }

  $expected = $null
  foreach ($line in Get-Content (Join-Path $work 'SHA256SUMS')) {
    $fields = $line -split '\s+', 2
    if ($fields.Count -eq 2 -and $fields[1].TrimStart('*') -eq $asset) { $expected = $fields[0].ToLower(); break }
  }
  if (-not $expected) { Fail "SHA256SUMS has no line for $asset" }
  $actual = (Get-FileHash -Algorithm SHA256 (Join-Path $work $asset)).Hash.ToLower()
  if ($actual -ne $expected) { Fail "checksum mismatch for ${asset}: expected $expected, got $actual" }

  New-Item -ItemType Directory -Force -Path $dir | Out-Null
  $tmp = Join-Path $dir (".lmi." + [System.Guid]::NewGuid() + ".exe")
  Copy-Item (Join-Path $work $asset) $tmp
  Assert-NotFolder
  Move-Item -Force -LiteralPath $tmp -Destination $target
  $tmp = $null
}
finally {
  Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
  if ($tmp) { Remove-Item -Force $tmp -ErrorAction SilentlyContinue }
}

Write-Output "lmi installed to $target ($asset)"
$onPath = ($env:PATH -split ';') | Where-Object { $_.TrimEnd('\') -ieq $dir.TrimEnd('\') }
if ($onPath) { Write-Output "$dir is on your PATH: run lmi --version" }
else { Write-Output "$dir is not on your PATH: add it, or run $target" }
