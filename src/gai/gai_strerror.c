/* gai_strerror with glibc's texts, so programs print the same messages. */
#include <netdb.h>

#include "rfcres.h"

RFCRES_API const char *rfcres_gai_strerror(int code)
{
	switch (code) {
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY: return "Address family for hostname not supported";
#endif
	case EAI_AGAIN: return "Temporary failure in name resolution";
	case EAI_BADFLAGS: return "Bad value for ai_flags";
	case EAI_FAIL: return "Non-recoverable failure in name resolution";
	case EAI_FAMILY: return "ai_family not supported";
	case EAI_MEMORY: return "Memory allocation failure";
#ifdef EAI_NODATA
	case EAI_NODATA: return "No address associated with hostname";
#endif
	case EAI_NONAME: return "Name or service not known";
	case EAI_SERVICE: return "Servname not supported for ai_socktype";
	case EAI_SOCKTYPE: return "ai_socktype not supported";
	case EAI_SYSTEM: return "System error";
#ifdef EAI_INPROGRESS
	case EAI_INPROGRESS: return "Processing request in progress";
	case EAI_CANCELED: return "Request canceled";
	case EAI_NOTCANCELED: return "Request not canceled";
	case EAI_ALLDONE: return "All requests done";
	case EAI_INTR: return "Interrupted by a signal";
#endif
#ifdef EAI_IDN_ENCODE
	case EAI_IDN_ENCODE: return "Parameter string not correctly encoded";
#endif
	/* glibc 2.36 has no text for EAI_OVERFLOW: "Unknown error" */
	default: return "Unknown error";
	}
}
