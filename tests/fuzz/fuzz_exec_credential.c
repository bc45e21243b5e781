/* ExecCredential JSON from a credential plugin's stdout, and RFC 3339 timestamps. */
#include "fuzz_common.h"
#include "kdeck/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kc_exec_credential_t cred;
    kc_error_t err;
    const char *ver = size && (data[0] & 1) ? "client.authentication.k8s.io/v1"
                                            : "client.authentication.k8s.io/v1beta1";
    memset(&cred, 0, sizeof cred);
    if (kc_exec_credential_parse((const char *)data, size, ver, &cred, &err)) {
        (void)kc_exec_credential_expired(&cred, 1700000000, 10);
        kc_exec_credential_clear(&cred);
    }
    char *s = fuzz_cstr(data, size < 128 ? size : 128);
    time_t t;
    (void)kc_parse_rfc3339(s, &t);
    free(s);
    return 0;
}
