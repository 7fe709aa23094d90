<powershell>
# Installs Elastic Agent on Windows Server and enrols it with the Fleet Server.
# socform sets $env:FLEET_URL and $env:TOKEN_PARAMETER above this line; the enrollment
# token itself is read from SSM Parameter Store at boot and never travels in user data.
$ErrorActionPreference = "Stop"
$version = "8.13.4"
$token = (Get-SSMParameter -Name $env:TOKEN_PARAMETER -WithDecryption $true).Value
$zip = "$env:TEMP\elastic-agent.zip"
Invoke-WebRequest -Uri "https://artifacts.elastic.co/downloads/beats/elastic-agent/elastic-agent-$version-windows-x86_64.zip" -OutFile $zip
Expand-Archive -Path $zip -DestinationPath "C:\Program Files" -Force
& "C:\Program Files\elastic-agent-$version-windows-x86_64\elastic-agent.exe" install --non-interactive --url=$env:FLEET_URL --enrollment-token=$token --insecure
</powershell>
