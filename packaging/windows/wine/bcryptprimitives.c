/*
 * A stand-in bcryptprimitives.dll for running the Windows plugins under Wine 8 in tests ONLY.
 * It is never shipped: real Windows (10 and later) has ProcessPrng in its own
 * bcryptprimitives.dll, and Wine 9 has it too.
 *
 * Rust's standard library for Windows takes its random bytes (HashMap keys) from ProcessPrng,
 * which Wine 8.0 does not export, so the loader refuses the .exe. This DLL exports ProcessPrng
 * and fills the buffer with RtlGenRandom (advapi32!SystemFunction036), which Wine has.
 *
 * Build (tests/integration/windows.sh does):
 *   x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom: declared here because ntsecapi.h wants extra defines. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* SystemFunction036 takes a ULONG: fill in chunks of at most 1 MiB. */
    while (length > 0) {
        ULONG chunk = length > (1u << 20) ? (1u << 20) : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    /* Like the real one: documented to always return TRUE. */
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
