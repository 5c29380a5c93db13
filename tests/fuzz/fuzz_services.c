/*
 * services parser: lookups by name and by port must agree — when a name
 * maps to port p for a protocol, some name must exist for p/protocol.
 * The probed names are the first token of each input line (bounded).
 */
#include "conf/conf_services.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_sys_init();
	return 0;
}

#define PROBE_LINES 64

static const char *const protos[] = { "tcp", "udp", "sctp", "dccp", "" };

static void probe(const struct conf_services *s, const char *name)
{
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++) {
		int port = conf_service_port(s, name, protos[i]);
		FUZZ_CHECK(port >= -1 && port <= 65535);
		if (port >= 0 && protos[i][0])
			FUZZ_CHECK(conf_service_name(s, port, protos[i]) != NULL);
	}
	/* NULL protocol: any */
	int any = conf_service_port(s, name, NULL);
	if (any >= 0)
		FUZZ_CHECK(conf_service_name(s, any, NULL) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_dup(data, size);
	if (!text)
		return 0;
	struct conf_services *s = conf_services_parse(text, size, "fuzz");
	free(text);
	if (!s)
		return 0;
	fuzz_trace_sum += conf_services_count(s);

	size_t pos = 0;
	for (unsigned line = 0; line < PROBE_LINES && pos < size; line++) {
		while (pos < size && (data[pos] == ' ' || data[pos] == '\t'))
			pos++;
		size_t start = pos;
		while (pos < size && data[pos] != ' ' && data[pos] != '\t' &&
		       data[pos] != '\n' && data[pos] != '\0')
			pos++;
		char name[256];
		size_t n = pos - start < sizeof name - 1 ? pos - start
							 : sizeof name - 1;
		memcpy(name, data + start, n);
		name[n] = '\0';
		probe(s, name);
		while (pos < size && data[pos] != '\n')
			pos++;
		pos++;
	}
	static const int ports[] = { 0, 22, 53, 80, 443, 65535 };
	for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
		for (size_t j = 0; j < sizeof protos / sizeof protos[0]; j++) {
			const char *nm = conf_service_name(s, ports[i], protos[j]);
			if (nm)
				FUZZ_CHECK(conf_service_port(s, nm, protos[j]) >= 0);
		}
	conf_services_free(s);
	return 0;
}
