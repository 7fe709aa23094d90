<powershell>
# Installs Elastic Agent on Windows Server and enrols it with the Fleet Server.
# socform sets $env:FLEET_URL and $env:TOKEN_PARAMETER above this line; the enrollment
# token itself is read from SSM Parameter Store at boot and never travels in user data. The
# Kibana host writes it once Fleet runs: until then enrolment fails, and this retries.
$ErrorActionPreference = "Stop"
$version = "8.13.4"
$zip = "$env:TEMP\elastic-agent.zip"
Invoke-WebRequest -Uri "https://artifacts.elastic.co/downloads/beats/elastic-agent/elastic-agent-$version-windows-x86_64.zip" -OutFile $zip
Expand-Archive -Path $zip -DestinationPath "C:\Program Files" -Force
$agent = "C:\Program Files\elastic-agent-$version-windows-x86_64\elastic-agent.exe"
foreach ($attempt in 1..60) {
  $token = (Get-SSMParameter -Name $env:TOKEN_PARAMETER -WithDecryption $true).Value
  & $agent install --non-interactive --url=$env:FLEET_URL --enrollment-token=$token --insecure
  if ($LASTEXITCODE -eq 0) { exit 0 }
  Write-Host "attempt ${attempt}: the enrollment token is not ready; retrying in 30 s"
  Start-Sleep -Seconds 30
}
exit 1
</powershell>
