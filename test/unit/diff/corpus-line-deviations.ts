/**
 * The corpus read with line numbers `kept` (the differ told not to guess, as the pipeline diffs
 * its own builds), where our result differs from the reference's, which guesses at line-number
 * drift. The corpus's objects were built without line keeping: each patch added or removed
 * lines, so functions below the change, unchanged in the source, compiled with other
 * `__LINE__` values (might_sleep(), WARN() and printk callers). The reference takes a changed
 * immediate before such a call for a line number and calls the function unchanged; with `kept`
 * we do not guess (a real change such as pr_info("%d", 1) -> 2 looks the same), since our own
 * patched build keeps every unchanged line's number (src/patches/line-keeping.ts), so a
 * difference left in the objects is a real change. On these objects, built without, we
 * therefore find the reference's functions changed plus the ones whose only difference is a
 * line number. With line numbers `guessed` (the reference's way, and `tsbuild-patch diff`'s
 * default) every case below agrees with the reference (corpus.test.ts asserts both).
 */
import type { CorpusCase } from './corpus-cases.js';

export interface LineNumberDeviation {
  /** The reference's outcome and changed functions (checked against expected.json). */
  reference: Pick<CorpusCase, 'outcome' | 'changedFunctions'>;
  /**
   * Ours: the outcome; when changed, the functions we find changed besides the reference's (its
   * new functions and callbacks are ours too); when refused, each [category, function] named.
   */
  ours:
    { outcome: 'changed'; alsoChanged: string[] } | { outcome: 'refused'; refused: [string, string][]; why: string };
}

export const LINE_NUMBER_DEVIATIONS: Record<string, LineNumberDeviation> = {
  'ASSERT_RTNL-detect': {
    reference: { outcome: 'changed', changedFunctions: ['__dev_get_by_flags'] },
    ours: {
      outcome: 'changed',
      alsoChanged: [
        '__dev_change_flags',
        '__dev_change_net_namespace',
        '__dev_close_many',
        '__dev_open',
        '__dev_set_allmulti',
        '__dev_set_promiscuity',
        '__netdev_has_upper_dev',
        '__netdev_notify_peers',
        '__netdev_update_features',
        '__netdev_upper_dev_link',
        '__netdev_upper_dev_unlink',
        'bpf_xdp_link_release',
        'call_netdevice_notifiers_info',
        'dev_change_name',
        'dev_change_xdp_fd',
        'dev_xdp_attach',
        'flush_all_backlogs',
        'free_netdev',
        'list_netdevice',
        'netdev_has_any_upper_dev',
        'netdev_has_upper_dev',
        'netdev_is_rx_handler_busy',
        'netdev_lower_state_changed',
        'netdev_master_upper_dev_get',
        'netdev_rx_handler_register',
        'netdev_rx_handler_unregister',
        'netif_set_real_num_rx_queues',
        'netif_set_real_num_tx_queues',
        'register_netdevice',
        'unlist_netdevice',
        'unregister_netdevice_many',
        'unregister_netdevice_queue',
      ],
    },
  },
  'bug-table-section': {
    reference: { outcome: 'changed', changedFunctions: ['sysctl_head_grab'] },
    ours: { outcome: 'changed', alsoChanged: ['proc_sys_compare', 'unregister_sysctl_table'] },
  },
  'clang-lstr': {
    reference: { outcome: 'changed', changedFunctions: [] },
    ours: {
      outcome: 'refused',
      refused: [
        ['no-ftrace-entry', '__do_sys_io_setup'],
        ['no-ftrace-entry', '__do_compat_sys_io_setup'],
        ['no-ftrace-entry', '__do_sys_io_submit'],
        ['no-ftrace-entry', '__do_compat_sys_io_submit'],
      ],
      why:
        'the four system call bodies differ only in line numbers; a changed function without an ftrace ' +
        'entry cannot be patched, so we refuse where the reference calls them unchanged and builds the callbacks alone',
    },
  },
  'clang-special-static': {
    reference: { outcome: 'changed', changedFunctions: ['init_srcu_struct_fields'] },
    ours: { outcome: 'changed', alsoChanged: ['__synchronize_srcu'] },
  },
  'data-read-mostly': {
    reference: { outcome: 'changed', changedFunctions: ['__netif_receive_skb_core'] },
    ours: {
      outcome: 'changed',
      alsoChanged: [
        '__dev_change_flags',
        '__dev_set_allmulti',
        '__dev_set_promiscuity',
        '__netdev_update_features',
        '__netdev_upper_dev_link',
        'dev_change_net_namespace',
        'dev_change_xdp_fd',
        'dev_get_nest_level',
        'free_netdev',
        'generic_xdp_install',
        'napi_busy_loop',
        'napi_disable',
        'netdev_has_any_upper_dev',
        'netdev_has_upper_dev',
        'netdev_lower_state_changed',
        'netdev_master_upper_dev_get',
        'netdev_upper_dev_unlink',
        'netif_napi_del',
        'netif_receive_skb_internal',
        'register_netdevice',
        'rollback_registered_many',
        'synchronize_net',
        'unregister_netdevice_queue',
      ],
    },
  },
  'dynamic-debug-jump-label-issue-1253': {
    reference: { outcome: 'changed', changedFunctions: ['push_node_left'] },
    ours: { outcome: 'changed', alsoChanged: ['balance_node_right', 'split_node'] },
  },
  'fixup-section': {
    reference: { outcome: 'changed', changedFunctions: ['filldir'] },
    ours: { outcome: 'changed', alsoChanged: ['SyS_getdents', 'compat_SyS_getdents'] },
  },
  'gcc-static-local-var-5': {
    reference: {
      outcome: 'changed',
      changedFunctions: ['audit_log_config_change', 'audit_log_end', 'audit_log_start'],
    },
    ours: { outcome: 'changed', alsoChanged: ['audit_receive_msg', 'auditd_reset', 'kauditd_thread'] },
  },
  'line-detect-issue-1253': {
    reference: { outcome: 'changed', changedFunctions: ['read_block_for_search'] },
    ours: { outcome: 'changed', alsoChanged: ['balance_node_right', 'push_node_left', 'split_node'] },
  },
  'new-function': {
    reference: { outcome: 'changed', changedFunctions: ['n_tty_write'] },
    ours: { outcome: 'changed', alsoChanged: ['n_tty_ioctl'] },
  },
  'printk-index-1-issue-1206': {
    reference: { outcome: 'changed', changedFunctions: ['tcp_mark_head_lost'] },
    ours: { outcome: 'changed', alsoChanged: ['tcp_rcv_state_process', 'tcp_rcv_synrecv_state_fastopen'] },
  },
  'printk-index-2-issue-1206': {
    reference: { outcome: 'changed', changedFunctions: ['tcp_mark_head_lost'] },
    ours: { outcome: 'changed', alsoChanged: ['tcp_rcv_state_process', 'tcp_rcv_synrecv_state_fastopen'] },
  },
  'replace-section-references': {
    reference: { outcome: 'changed', changedFunctions: ['kvm_define_shared_msr'] },
    ours: { outcome: 'changed', alsoChanged: ['kvm_arch_vcpu_ioctl_run'] },
  },
  'special-static': {
    reference: { outcome: 'changed', changedFunctions: ['copy_process.part.8'] },
    ours: { outcome: 'changed', alsoChanged: ['_do_fork'] },
  },
  'special-static-2': {
    reference: { outcome: 'changed', changedFunctions: ['kvm_set_msr_common'] },
    ours: { outcome: 'changed', alsoChanged: ['kvm_arch_vcpu_ioctl_run'] },
  },
  'warn-detect': {
    reference: { outcome: 'no-change', changedFunctions: [] },
    ours: {
      outcome: 'changed',
      alsoChanged: [
        '__dev_change_flags',
        '__dev_close_many',
        '__dev_get_by_flags',
        '__dev_getfirstbyhwtype',
        '__dev_open',
        '__dev_set_allmulti',
        '__dev_set_promiscuity',
        '__netdev_update_features',
        '__netdev_upper_dev_link',
        'call_netdevice_notifiers_info',
        'dev_change_name',
        'dev_change_net_namespace',
        'dev_change_xdp_fd',
        'dev_get_nest_level',
        'list_netdevice',
        'netdev_has_any_upper_dev',
        'netdev_has_upper_dev',
        'netdev_is_rx_handler_busy',
        'netdev_lower_state_changed',
        'netdev_master_upper_dev_get',
        'netdev_rx_handler_unregister',
        'netdev_upper_dev_unlink',
        'netif_set_real_num_rx_queues',
        'netif_set_real_num_tx_queues',
        'register_netdevice',
        'rollback_registered_many',
        'unlist_netdevice',
        'unregister_netdevice_queue',
      ],
    },
  },
};
