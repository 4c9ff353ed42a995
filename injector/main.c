/* SPDX-License-Identifier: Apache-2.0 */
/*
 * faultlined: the privileged injector. Recovers what dead injectors left, then
 * serves the protocol on a unix socket (daemon) or on stdin/stdout (one session).
 */
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include "journal.h"
#include "net_control.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "policy.h"
#include "protocol.h"
#include "recovery.h"
#include "sandbox.h"
#include "server.h"
#include "time_util.h"

#define DEFAULT_STATE_DIR "/run/faultline"
#define DEFAULT_SOCKET DEFAULT_STATE_DIR "/faultlined.sock"
#define DEFAULT_GROUP "faultline"
#define DEFAULT_GRACE_NS (10 * NSEC_PER_SEC)
#define TICK_NS (100 * NSEC_PER_MSEC)

struct options {
	const char *socket_path;
	const char *state_dir;
	const char *group;
	const char *policy_path;
	bool policy_given;
	bool stdio;
	bool recover;
	bool print_seccomp;
	uint64_t grace_ns;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultlined [OPTIONS]\n"
		"\n"
		"  --socket PATH      serve the daemon socket (default " DEFAULT_SOCKET ")\n"
		"  --stdio            serve one session on stdin/stdout; revert all when it ends\n"
		"  --recover          undo what the journals of dead injectors hold, then exit\n"
		"  --state-dir DIR    journal directory (default $FAULTLINE_STATE_DIR or " DEFAULT_STATE_DIR
		")\n"
		"  --group NAME       group allowed on the socket besides root (default " DEFAULT_GROUP
		" if it exists)\n"
		"  --grace DURATION   added to each fault's duration for its hard TTL (default 10s)\n"
		"  --policy FILE      the target policy (default " POLICY_DEFAULT_PATH
		", if it exists)\n"
		"  --log-level LEVEL  error, warning, info (default) or debug\n"
		"  --print-seccomp    print the seccomp allow-list loaded after setup, then exit\n"
		"  --version\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_SOCKET = 256,
		OPT_STDIO,
		OPT_RECOVER,
		OPT_STATE_DIR,
		OPT_GROUP,
		OPT_GRACE,
		OPT_LOG_LEVEL,
		OPT_VERSION,
		OPT_PRINT_SECCOMP,
		OPT_POLICY,
	};
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "stdio", no_argument, NULL, OPT_STDIO },
		{ "recover", no_argument, NULL, OPT_RECOVER },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "print-seccomp", no_argument, NULL, OPT_PRINT_SECCOMP },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char err[512];
	int c;

	*o = (struct options){ .grace_ns = DEFAULT_GRACE_NS, .policy_path = POLICY_DEFAULT_PATH };
	o->state_dir = getenv("FAULTLINE_STATE_DIR") ?: DEFAULT_STATE_DIR;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		switch (c) {
		case OPT_SOCKET:
			o->socket_path = optarg;
			break;
		case OPT_STDIO:
			o->stdio = true;
			break;
		case OPT_RECOVER:
			o->recover = true;
			break;
		case OPT_STATE_DIR:
			o->state_dir = optarg;
			break;
		case OPT_GROUP:
			o->group = optarg;
			break;
		case OPT_GRACE:
			if (parse_duration_ns(optarg, &o->grace_ns, err, sizeof(err)) < 0) {
				fprintf(stderr, "faultlined: --grace: %s\n", err);
				return -EINVAL;
			}
			break;
		case OPT_LOG_LEVEL: {
			enum log_level level;
			if (log_level_from_string(optarg, &level) < 0) {
				fprintf(stderr, "faultlined: unknown log level '%s'\n", optarg);
				return -EINVAL;
			}
			log_set_max_level(level);
			break;
		}
		case OPT_PRINT_SECCOMP:
			o->print_seccomp = true;
			break;
		case OPT_POLICY:
			o->policy_path = optarg;
			o->policy_given = true;
			break;
		case OPT_VERSION:
			printf("faultlined %s (protocol %d)\n", FAULTLINE_VERSION,
			       PROTOCOL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "faultlined: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->stdio && o->socket_path) {
		fprintf(stderr, "faultlined: --stdio and --socket exclude each other\n");
		return -EINVAL;
	}
	if (!o->stdio && !o->recover && !o->socket_path)
		o->socket_path = DEFAULT_SOCKET;
	if (!o->group && getgrnam(DEFAULT_GROUP))
		o->group = DEFAULT_GROUP;
	return 1;
}

static int on_signal(struct event_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	log_info("received %s: reverting every fault and exiting", strsignal((int)si.ssi_signo));
	event_loop_quit(loop, 0);
	return 0;
}

static int on_tick(struct event_loop *loop, int fd, uint32_t events, void *userdata)
{
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return negative_errno();
	server_tick(userdata);
	return 0;
}

static bool signal_inherited_ignored(int sig)
{
	struct sigaction sa;
	return sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

static int setup_signals(struct event_loop *loop, int *ret_fd)
{
	sigset_t mask;

	/* A peer that goes away mid-write must cost us an EPIPE, not our life. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	/* A controller that spawns us ignores SIGINT and SIGQUIT for us, so that a
	 * Ctrl-C at its terminal reaches it alone and it reverts in order. Honour
	 * an inherited SIG_IGN, as nohup'd programs do. */
	if (!signal_inherited_ignored(SIGINT))
		sigaddset(&mask, SIGINT);
	if (!signal_inherited_ignored(SIGQUIT))
		sigaddset(&mask, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return negative_errno();
	int fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return negative_errno();
	int r = event_loop_add(loop, fd, EPOLLIN, on_signal, NULL);
	if (r < 0) {
		safe_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int setup_tick(struct event_loop *loop, struct server *s, int *ret_fd)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = TICK_NS },
		.it_value = { .tv_nsec = TICK_NS },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return negative_errno();
	if (timerfd_settime(fd, 0, &its, NULL) < 0 ||
	    event_loop_add(loop, fd, EPOLLIN, on_tick, s) < 0) {
		int r = negative_errno();
		safe_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* The daemon socket usually lives in the state directory, which the journal keeps
 * private (0700). Members of the faultline group need to traverse it to reach the
 * socket, but never to list or write it: 0710 root:group. */
static void share_state_dir_with_group(const char *state_dir, const char *socket_path,
				       const char *group)
{
	_cleanup_free_ char *dir = strdup(socket_path);
	struct group *gr = getgrnam(group);
	char *slash = dir ? strrchr(dir, '/') : NULL;

	if (!gr || !slash)
		return;
	*slash = '\0';
	if (!streq(dir, state_dir))
		return;
	if (chown(state_dir, 0, gr->gr_gid) < 0 || chmod(state_dir, 0710) < 0)
		log_warning_errno(errno, "cannot open %s to group %s", state_dir, group);
}

int main(int argc, char **argv)
{
	struct options o;
	struct event_loop *loop = NULL;
	struct journal *journal = NULL;
	struct server server;
	_cleanup_(policy_freep) struct policy *policy = NULL;
	_cleanup_close_ int signal_fd = -1, tick_fd = -1;
	char err[1024];
	int r;

	log_set_program("faultlined");
	log_set_nonblocking();
	r = parse_options(argc, argv, &o);
	if (r <= 0)
		return r < 0 ? 2 : 0;
	if (o.print_seccomp)
		return sandbox_print_seccomp(stdout) < 0 ? 1 : 0;
	if (geteuid() != 0)
		log_warning("not running as root: most faults will fail with EPERM");

	/* Signals are blocked before recovery, so a SIGTERM during recovery waits for
	 * it to finish rather than killing us half way. */
	r = event_loop_new(&loop);
	if (r < 0)
		return log_error_errno(r, "cannot create the event loop"), 1;
	r = setup_signals(loop, &signal_fd);
	if (r < 0)
		return log_error_errno(r, "cannot set up signal handling"), 1;

	r = recovery_replay(o.state_dir, NULL);
	if (o.recover) {
		event_loop_free(loop);
		if (r < 0)
			log_error_errno(
				r, "recovery left faults in place; their journals are kept in %s",
				o.state_dir);
		return r < 0 ? 1 : 0;
	}

	/* The policy is read with full root, before anything is served; a policy that
	 * exists but cannot be read or is invalid stops the injector: serving with
	 * half a policy would do what the operator forbade. */
	r = policy_load(o.policy_path, &policy, err, sizeof(err));
	if (r == -ENOENT && !o.policy_given)
		log_debug("no policy at %s", o.policy_path);
	else if (r == -ENOENT)
		return log_error("%s: no such policy file", o.policy_path), 1;
	else if (r < 0)
		return log_error("%s", err), 1;
	else
		log_info("policy %s loaded", o.policy_path);

	r = journal_open(o.state_dir, &journal);
	if (r < 0)
		return log_error_errno(r, "cannot open the journal in %s", o.state_dir), 1;

	if (!o.stdio && o.group)
		share_state_dir_with_group(o.state_dir, o.socket_path, o.group);

	server_init(&server, loop, o.state_dir);
	registry_init(&server.registry, journal, o.grace_ns, dispatch_event, &server);
	server.registry.loop = loop;
	server.registry.policy = policy;
	if (o.stdio)
		net_control_detect(STDIN_FILENO); /* a TCP or ssh peer to keep out */
	if (o.stdio)
		r = server_add_stdio(&server, STDIN_FILENO, STDOUT_FILENO);
	else
		r = server_listen(&server, o.socket_path, o.group);
	if (r < 0) {
		log_error_errno(r, "cannot start serving");
		journal_close(journal, true);
		event_loop_free(loop);
		return 1;
	}
	r = setup_tick(loop, &server, &tick_fd);
	if (r < 0)
		return log_error_errno(r, "cannot create the timer"), 1;

	/* Everything that needed full root is done: the socket is bound and owned,
	 * the journal open, recovery run. */
	r = sandbox_drop_capabilities();
	if (r < 0) {
		log_error_errno(r, "cannot drop capabilities; refusing to serve with full root");
		server_shutdown(&server, "shutdown");
		journal_close(journal, true);
		event_loop_free(loop);
		return 1;
	}
	log_debug("capabilities kept: %s", sandbox_kept_capabilities());
	r = sandbox_load_seccomp();
	if (r < 0) {
		log_error_errno(r, "cannot load the seccomp filter; refusing to serve unconfined");
		server_shutdown(&server, "shutdown");
		journal_close(journal, true);
		event_loop_free(loop);
		return 1;
	}
	if (!o.stdio)
		log_info("listening on %s (state in %s, group %s)", o.socket_path, o.state_dir,
			 o.group ? o.group : "root only");

	r = event_loop_run(loop);
	unsigned failed = server_shutdown(&server, "shutdown");
	registry_done(&server.registry);
	/* Keep the journal when something could not be reverted: a later start or
	 * --recover tries again. */
	journal_close(journal, failed == 0);
	event_loop_free(loop);
	if (failed) {
		log_error("%u fault(s) could not be reverted; the journal in %s keeps them", failed,
			  o.state_dir);
		return 1;
	}
	return r < 0 ? 1 : 0;
}
