/**
 * A throwaway self-signed certificate (CN "todo-history unit test", valid for a century) with its key, and an
 * unrelated key: PEM that Node's TLS accepts, for tests that load TLS settings without any server.
 */
export const certificatePem = `-----BEGIN CERTIFICATE-----
MIIBmDCCAT+gAwIBAgIUCUbdbp5z3eXFrwzrGTqV6CIxDaowCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWdG9kby1oaXN0b3J5IHVuaXQgdGVzdDAgFw0yNjEyMDExMjUx
NTZaGA8yMTI2MTEwNzEyNTE1NlowITEfMB0GA1UEAwwWdG9kby1oaXN0b3J5IHVu
aXQgdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOArAec6+F0y66rrc7+D
5sKTFgVw+YgytsIu1P1KMjqYhqrB5i5+FWIk7toaGUGNudf2dMPMOYA3XZapcvVD
iv6jUzBRMB0GA1UdDgQWBBSNvNtZ70wJLuDppMU9C6o4UWR5uTAfBgNVHSMEGDAW
gBSNvNtZ70wJLuDppMU9C6o4UWR5uTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49
BAMCA0cAMEQCIAluWUv0ihctON+LMNkoVHMsz84I2nZFxiUdTnpByKo4AiAik+jo
ehHlMAHdIuxKPG2axDBHQIbLh+QgT5dg1V79bA==
-----END CERTIFICATE-----
`;
export const keyPem = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcBx+NyyWNhOtyfzc
mWnyUJ61MzKJys9mkGJXvhN24A+hRANCAATgKwHnOvhdMuuq63O/g+bCkxYFcPmI
MrbCLtT9SjI6mIaqweYufhViJO7aGhlBjbnX9nTDzDmAN12WqXL1Q4r+
-----END PRIVATE KEY-----
`;
export const otherKeyPem = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgDdGYXIPYQYzL3Amp
yUmwUS+Qv5eEQldlrx9Z7dGaoYShRANCAARSQx9Dc/N7V0z77htot+28AkY8I3nI
eDyakk1zn67rrZYccplcWQ1fUihez0SzdzMrAfRuFYxFtleULnPjvvPc
-----END PRIVATE KEY-----
`;
