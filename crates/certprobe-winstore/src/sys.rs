//! crypt32, read-only: CertOpenStore on the system store, CertEnumCertificatesInStore over
//! it, two properties per certificate. Every pointer and length from Windows is checked
//! before it is read, and every handle closed on every path.

use crate::{quote, Location, StoreError, StoreName, StoredCertificate, MAX_CERTIFICATES};
use std::ffi::c_void;
use windows_sys::Win32::Foundation::GetLastError;
use windows_sys::Win32::Security::Cryptography::{
    CertCloseStore, CertEnumCertificatesInStore, CertGetCertificateContextProperty, CertOpenStore,
    CERT_CONTEXT, CERT_FRIENDLY_NAME_PROP_ID, CERT_KEY_PROV_INFO_PROP_ID,
    CERT_NCRYPT_KEY_HANDLE_PROP_ID, CERT_STORE_OPEN_EXISTING_FLAG, CERT_STORE_PROV_SYSTEM_W,
    CERT_STORE_READONLY_FLAG, CERT_SYSTEM_STORE_CURRENT_USER, CERT_SYSTEM_STORE_LOCAL_MACHINE,
};

/// CERT_KEY_CONTEXT_PROP_ID: a key handle attached in memory.
const CERT_KEY_CONTEXT_PROP_ID: u32 = 5;
/// A certificate's DER larger than this is left out.
const MAX_DER: u32 = 1 << 20;
/// A friendly name longer than this many bytes (UTF-16) is left out (none is that long).
const MAX_FRIENDLY_NAME: u32 = 4096;

/// Closes the store however the reading ends.
struct Store(*mut c_void);

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: the handle came from CertOpenStore and is closed once, here.
        unsafe {
            CertCloseStore(self.0, 0);
        }
    }
}

pub(crate) fn read(name: &StoreName) -> Result<Vec<StoredCertificate>, StoreError> {
    let wide: Vec<u16> = name.name.encode_utf16().chain([0]).collect();
    let location = match name.location {
        Location::LocalMachine => CERT_SYSTEM_STORE_LOCAL_MACHINE,
        Location::CurrentUser => CERT_SYSTEM_STORE_CURRENT_USER,
    };
    let flags = location | CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG;
    // SAFETY: `wide` is NUL-terminated and outlives the call; the provider takes no
    // encoding type or provider handle.
    let handle = unsafe {
        CertOpenStore(
            CERT_STORE_PROV_SYSTEM_W,
            0,
            0,
            flags,
            wide.as_ptr().cast::<c_void>(),
        )
    };
    if handle.is_null() {
        // SAFETY: no other call in between.
        let code = unsafe { GetLastError() };
        return Err(StoreError::Open {
            store: name.to_string(),
            code,
        });
    }
    let store = Store(handle);
    let mut out = Vec::new();
    let mut context: *const CERT_CONTEXT = std::ptr::null();
    loop {
        // SAFETY: `context` is null or the one the previous call returned, which this call
        // frees; the store is open.
        let next = unsafe { CertEnumCertificatesInStore(store.0, context) };
        if next.is_null() {
            break;
        }
        context = next;
        if out.len() >= MAX_CERTIFICATES {
            // SAFETY: frees the context the enumeration returned last.
            unsafe {
                windows_sys::Win32::Security::Cryptography::CertFreeCertificateContext(context);
            }
            return Err(StoreError::TooMany {
                store: name.to_string(),
            });
        }
        // SAFETY: a non-null context from the enumeration is valid until the next call.
        let cert = unsafe { &*context };
        if cert.pbCertEncoded.is_null() || cert.cbCertEncoded == 0 || cert.cbCertEncoded > MAX_DER {
            continue;
        }
        // SAFETY: crypt32 says the encoding is this many bytes at this address.
        let der =
            unsafe { std::slice::from_raw_parts(cert.pbCertEncoded, cert.cbCertEncoded as usize) }
                .to_vec();
        out.push(StoredCertificate {
            der,
            friendly_name: friendly_name(context),
            has_private_key: [
                CERT_KEY_PROV_INFO_PROP_ID,
                CERT_NCRYPT_KEY_HANDLE_PROP_ID,
                CERT_KEY_CONTEXT_PROP_ID,
            ]
            .into_iter()
            .any(|property| has_property(context, property)),
        });
    }
    drop(store);
    Ok(out)
}

fn has_property(context: *const CERT_CONTEXT, property: u32) -> bool {
    let mut size = 0u32;
    // SAFETY: a size query (no buffer) on a valid context.
    unsafe {
        CertGetCertificateContextProperty(context, property, std::ptr::null_mut(), &mut size) != 0
    }
}

fn friendly_name(context: *const CERT_CONTEXT) -> Option<String> {
    let mut size = 0u32;
    // SAFETY: a size query (no buffer) on a valid context.
    let found = unsafe {
        CertGetCertificateContextProperty(
            context,
            CERT_FRIENDLY_NAME_PROP_ID,
            std::ptr::null_mut(),
            &mut size,
        )
    };
    if found == 0 || size < 2 {
        return None;
    }
    let mut size = size.min(MAX_FRIENDLY_NAME) & !1;
    let mut buffer = vec![0u16; size as usize / 2];
    // SAFETY: the buffer holds `size` bytes; crypt32 writes at most that and says how many.
    let read = unsafe {
        CertGetCertificateContextProperty(
            context,
            CERT_FRIENDLY_NAME_PROP_ID,
            buffer.as_mut_ptr().cast::<c_void>(),
            &mut size,
        )
    };
    if read == 0 {
        return None;
    }
    buffer.truncate(size as usize / 2);
    while buffer.last() == Some(&0) {
        buffer.pop();
    }
    let name = quote(&String::from_utf16_lossy(&buffer));
    (!name.is_empty()).then_some(name)
}
