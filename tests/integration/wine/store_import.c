/* Test helper for tests/integration/windows.sh (never packaged): adds one DER certificate to a
 * Windows system store under Wine, the way an administrator's import would, so that
 * `certprobe.exe audit --windows-store` and `check_cert_file.exe --windows-store` can be checked
 * against known contents.
 *
 *   store_import.exe LocalMachine|CurrentUser STORE CERT.der [FRIENDLY-NAME|-] [key|nokey]
 *   store_import.exe LocalMachine|CurrentUser STORE CERT.der remove
 *
 * "key" attaches a key provider property (CERT_KEY_PROV_INFO_PROP_ID), which is what makes
 * PowerShell's HasPrivateKey true; no key material is involved. Exit 0 when added. */
#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>
#include <string.h>

static wchar_t *wide(const char *text) {
    int n = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0);
    wchar_t *out = (wchar_t *)calloc((size_t)n, sizeof(wchar_t));
    if (out) MultiByteToWideChar(CP_UTF8, 0, text, -1, out, n);
    return out;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: store_import LOCATION STORE CERT.der [FRIENDLY|-] [key|nokey]\n");
        return 2;
    }
    DWORD location = strcmp(argv[1], "CurrentUser") == 0 ? CERT_SYSTEM_STORE_CURRENT_USER
                                                          : CERT_SYSTEM_STORE_LOCAL_MACHINE;
    FILE *f = fopen(argv[3], "rb");
    if (!f) { perror(argv[3]); return 1; }
    static BYTE der[65536];
    size_t len = fread(der, 1, sizeof der, f);
    fclose(f);
    HCERTSTORE store = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, location, wide(argv[2]));
    if (!store) { fprintf(stderr, "CertOpenStore: error %lu\n", GetLastError()); return 1; }
    if (argc > 4 && strcmp(argv[4], "remove") == 0) {
        /* The registry store itself: Wine's system store is a collection, whose deletions do
         * not reach the registry. */
        CertCloseStore(store, 0);
        store = CertOpenStore(CERT_STORE_PROV_SYSTEM_REGISTRY_W, 0, 0, location, wide(argv[2]));
        if (!store) { fprintf(stderr, "CertOpenStore: error %lu\n", GetLastError()); return 1; }
        PCCERT_CONTEXT wanted = CertCreateCertificateContext(X509_ASN_ENCODING, der, (DWORD)len);
        PCCERT_CONTEXT found = wanted ? CertFindCertificateInStore(store, X509_ASN_ENCODING, 0,
                                                                   CERT_FIND_EXISTING, wanted, NULL)
                                      : NULL;
        if (!found || !CertDeleteCertificateFromStore(found)) {
            fprintf(stderr, "remove: error %lu\n", GetLastError());
            return 1;
        }
        CertFreeCertificateContext(wanted);
        CertCloseStore(store, 0);
        return 0;
    }
    PCCERT_CONTEXT added = NULL;
    if (!CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, der, (DWORD)len,
                                          CERT_STORE_ADD_REPLACE_EXISTING, &added)) {
        fprintf(stderr, "CertAddEncodedCertificateToStore: error %lu\n", GetLastError());
        return 1;
    }
    if (argc > 4 && strcmp(argv[4], "-") != 0) {
        wchar_t *name = wide(argv[4]);
        CRYPT_DATA_BLOB blob = { (DWORD)((wcslen(name) + 1) * sizeof(wchar_t)), (BYTE *)name };
        if (!CertSetCertificateContextProperty(added, CERT_FRIENDLY_NAME_PROP_ID, 0, &blob)) {
            fprintf(stderr, "friendly name: error %lu\n", GetLastError());
            return 1;
        }
    }
    if (argc > 5 && strcmp(argv[5], "key") == 0) {
        CRYPT_KEY_PROV_INFO info;
        memset(&info, 0, sizeof info);
        info.pwszContainerName = wide("certprobe-test-key");
        info.pwszProvName = wide("Microsoft Software Key Storage Provider");
        info.dwKeySpec = AT_KEYEXCHANGE;
        if (!CertSetCertificateContextProperty(added, CERT_KEY_PROV_INFO_PROP_ID, 0, &info)) {
            fprintf(stderr, "key provider: error %lu\n", GetLastError());
            return 1;
        }
    }
    CertFreeCertificateContext(added);
    CertCloseStore(store, 0);
    return 0;
}
