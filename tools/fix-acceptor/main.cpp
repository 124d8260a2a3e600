// fix-acceptor: an independent FIX peer that plays Coinbase Exchange's
// FIX 5.0 SP2 order-entry gateway (FIXT.1.1 session, DefaultApplVerID 9),
// built on QuickFIX so that hotline's own FIX code is tested against an
// implementation it shares nothing with. See README.md next to this file.
//
// Public references: the Coinbase Exchange FIX 5.0 SP2 order-entry page
// (https://docs.cdp.coinbase.com/exchange/docs/fix-msg-order-entry-50)
// and the FIX Trading Community's FIXT.1.1 / FIX.5.0SP2 specifications
// (https://www.fixtrading.org/standards/).

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char SOH = '\x01';

// Coinbase-specific tags on Logon (the order-entry page's Logon table) and on
// NewOrderSingle / ExecutionReport; standard FIX tags come from QuickFIX.
const int kCancelOrdersOnDisconnect = 8013;
const int kDefaultSelfTradePrevention = 8001;
const int kDropCopyFlag = 9406;
const int kSelfTradeType = 7928;
const int kTradeId = 1003;
const int kAggressorIndicator = 1057;
// NewOrderBatch (U6) / NewOrderBatchReject (U7): Coinbase's BatchID, and the
// most orders one batch may carry.
const int kBatchId = 8014;
const int kMaxBatchOrders = 15;

// ---------------------------------------------------------------------------
// Base64 and the Logon signature.

std::string base64_encode(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(&out[0]), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Strict: returns false on characters outside the alphabet or a bad length.
bool base64_decode(const std::string& in, std::string& out) {
  if (in.empty() || in.size() % 4 != 0) return false;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    bool alpha = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
    bool pad = c == '=' && i + 2 >= in.size();
    if (!alpha && !pad) return false;
  }
  std::string buf(3 * in.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(&buf[0]),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return false;
  size_t padding = 0;
  if (in[in.size() - 1] == '=') ++padding;
  if (in[in.size() - 2] == '=') ++padding;
  buf.resize(static_cast<size_t>(n) - padding);
  out = buf;
  return true;
}

// base64(HMAC-SHA256(base64decode(secret), SendingTime SOH MsgType SOH
// MsgSeqNum SOH SenderCompID SOH TargetCompID SOH Password)), no trailing SOH.
std::string logon_signature(const std::string& secret_b64, const std::string& sending_time,
                            const std::string& msg_type, const std::string& seq_num, const std::string& sender,
                            const std::string& target, const std::string& password) {
  std::string secret;
  if (!base64_decode(secret_b64, secret)) return std::string();
  std::string prehash =
      sending_time + SOH + msg_type + SOH + seq_num + SOH + sender + SOH + target + SOH + password;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(prehash.data()), prehash.size(), mac, &mac_len);
  return base64_encode(mac, mac_len);
}

bool equal_constant_time(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---------------------------------------------------------------------------
// Fixed-point decimals: every price and quantity is an integer count of
// 1e-8 units, so fills, sums and fees are exact and print back unchanged.

const int64_t kScale = 100000000;

bool parse_decimal(const std::string& s, int64_t& out) {
  static const std::regex re("^([0-9]{1,10})(\\.([0-9]{1,8}))?$");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return false;
  int64_t whole = std::stoll(m[1].str());
  std::string frac = m[3].matched ? m[3].str() : "";
  frac.append(8 - frac.size(), '0');
  out = whole * kScale + std::stoll(frac);
  return true;
}

std::string format_decimal(int64_t v) {
  std::string frac = std::to_string(v % kScale);
  frac.insert(0, 8 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  std::string out = std::to_string(v / kScale);
  if (!frac.empty()) out += "." + frac;
  return out;
}

// a * b in 1e-8 units, rounded down.
int64_t mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<__int128>(a) * b / kScale);
}

// ---------------------------------------------------------------------------
// Identifiers.

class Ids {
 public:
  Ids() : rng_(std::random_device{}()) {}

  std::string uuid4() {
    uint64_t hi = rng_(), lo = rng_();
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return buf;
  }

  std::string next_trade_id() { return std::to_string(++trade_id_); }

 private:
  std::mt19937_64 rng_;
  uint64_t trade_id_ = 0;
};

bool is_lowercase_uuid4(const std::string& s) {
  static const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return std::regex_match(s, re);
}

// ---------------------------------------------------------------------------
// Command line.

struct Options {
  std::string key;
  std::string secret_b64;
  std::string passphrase;
  std::string symbol = "BTC-USD";
  int64_t bid = 0, bid_qty = 0, ask = 0, ask_qty = 0;
  int64_t fee_bps = 40;
  std::string journal;
  int port = 0;
  // The connection drops as this (1-based) NewOrderSingle arrives; 0: never.
  int64_t drop_at_order = 0;
  // logon: ResetOnLogon=Y, every Logon starts at 1 (Coinbase's default).
  // flag: sequence numbers persist in the FileStore; only 141=Y resets them.
  // never: as flag, and a Logon with 141=Y is refused.
  std::string reset = "logon";
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "fix-acceptor: " << why << "\n"
            << "usage: fix-acceptor --key KEY --secret BASE64 --passphrase PASS\n"
            << "         --bid PX --bid-qty QTY --ask PX --ask-qty QTY --journal PATH\n"
            << "         [--symbol BTC-USD] [--fee-bps 40] [--port 0] [--reset logon|flag|never]\n"
            << "         [--drop-at-order N]\n"
            << "       fix-acceptor --selftest\n";
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> kv;
  for (int i = 1; i < argc; i += 2) {
    std::string name = argv[i];
    if (name.compare(0, 2, "--") != 0 || i + 1 >= argc) usage("bad argument " + name);
    kv[name.substr(2)] = argv[i + 1];
  }
  auto take = [&](const char* name, bool required) {
    auto it = kv.find(name);
    if (it == kv.end()) {
      if (required) usage(std::string("missing --") + name);
      return std::string();
    }
    std::string v = it->second;
    kv.erase(it);
    return v;
  };
  auto decimal = [&](const char* name) {
    int64_t v;
    if (!parse_decimal(take(name, true), v) || v <= 0) usage(std::string("--") + name + " must be a positive decimal");
    return v;
  };
  o.key = take("key", true);
  o.secret_b64 = take("secret", true);
  std::string unused;
  if (!base64_decode(o.secret_b64, unused)) usage("--secret must be base64");
  o.passphrase = take("passphrase", true);
  o.bid = decimal("bid");
  o.bid_qty = decimal("bid-qty");
  o.ask = decimal("ask");
  o.ask_qty = decimal("ask-qty");
  if (o.bid >= o.ask) usage("--bid must be below --ask");
  o.journal = take("journal", true);
  std::string v;
  if (!(v = take("symbol", false)).empty()) o.symbol = v;
  if (!(v = take("fee-bps", false)).empty()) o.fee_bps = std::stoll(v);
  if (!(v = take("port", false)).empty()) o.port = std::stoi(v);
  if (!(v = take("reset", false)).empty()) o.reset = v;
  if (!(v = take("drop-at-order", false)).empty()) o.drop_at_order = std::stoll(v);
  if (o.reset != "logon" && o.reset != "flag" && o.reset != "never") usage("--reset must be logon, flag or never");
  if (!kv.empty()) usage("unknown option --" + kv.begin()->first);
  return o;
}

// ---------------------------------------------------------------------------
// The gateway.

struct Order {
  std::string cl_ord_id;
  std::string order_id;
  std::string symbol;
  char side;  // '1' buy, '2' sell
  int64_t price;
  int64_t qty;
  char tif;  // '1' GTC, '3' IOC, '4' FOK
  int64_t cum = 0;
  __int128 notional = 0;  // sum of LastPx * LastQty in 1e-16 units, for AvgPx
  char status = '0';
  bool session_order = true;

  int64_t leaves() const { return (status == '0' || status == '1') ? qty - cum : 0; }
  int64_t avg_px() const { return cum == 0 ? 0 : static_cast<int64_t>(notional / cum); }
};

class Gateway : public FIX::Application {
 public:
  explicit Gateway(const Options& o) : opt_(o), ask_left_(o.ask_qty), bid_left_(o.bid_qty) {
    journal_.open(o.journal, std::ios::app);
    if (!journal_) usage("cannot open journal " + o.journal);
    fee_currency_ = o.symbol.substr(o.symbol.find('-') == std::string::npos ? 0 : o.symbol.find('-') + 1);
  }

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {}
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}

  // CancelOrdersOnDisconnect (8013) Y or S cancels the open orders when the
  // session ends; this peer has a single session, so both mean the same.
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancel_on_disconnect_) {
      for (auto& kv : orders_)
        if (kv.second.status == '0' || kv.second.status == '1') kv.second.status = '4';
    }
  }

  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                                     FIX::IncorrectTagValue, FIX::RejectLogon) override {
    if (m.getHeader().getField(FIX::FIELD::MsgType) == "A") check_logon(m);
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID& sid) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                                        FIX::IncorrectTagValue,
                                                                        FIX::UnsupportedMessageType) override {
    const std::string& type = m.getHeader().getField(FIX::FIELD::MsgType);
    // --drop-at-order: the connection drops as that order arrives, before
    // it is handled, so QuickFIX stores its reports for a resend (with
    // --reset logon they are cleared at the next Logon instead). Done
    // before taking mu_: the disconnect calls onLogout.
    if (type == "D" && ++orders_seen_ == opt_.drop_at_order) {
      if (FIX::Session* s = FIX::Session::lookupSession(sid)) s->disconnect();
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (type == "D")
      new_order(m, sid);
    else if (type == "F")
      cancel(m, sid);
    else if (type == "H")
      status(m, sid);
    else if (type == "q")
      mass_cancel(m, sid);
    else if (type == "U6")
      new_order_batch(m, sid);
    else
      throw FIX::UnsupportedMessageType();
  }

 private:
  static std::string field(const FIX::FieldMap& m, int tag) {
    return m.isSetField(tag) ? m.getField(tag) : std::string();
  }

  void check_logon(const FIX::Message& m) {
    const FIX::Header& h = m.getHeader();
    static const std::regex ms("^[0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}$");
    const std::string sending_time = h.getField(FIX::FIELD::SendingTime);
    if (!std::regex_match(sending_time, ms)) throw FIX::RejectLogon("SendingTime must have 3 fractional digits");
    if (field(m, FIX::FIELD::Username) != opt_.key) throw FIX::RejectLogon("Username (553) must be the API key");
    if (field(m, FIX::FIELD::Password) != opt_.passphrase) throw FIX::RejectLogon("bad passphrase");
    if (!m.isSetField(FIX::FIELD::RawData)) throw FIX::RejectLogon("RawData (96) signature missing");
    const std::string raw = m.getField(FIX::FIELD::RawData);
    if (field(m, FIX::FIELD::RawDataLength) != std::to_string(raw.size()))
      throw FIX::RejectLogon("RawDataLength (95) does not match RawData (96)");
    const std::string expected =
        logon_signature(opt_.secret_b64, sending_time, "A", h.getField(FIX::FIELD::MsgSeqNum),
                        h.getField(FIX::FIELD::SenderCompID), h.getField(FIX::FIELD::TargetCompID), opt_.passphrase);
    if (!equal_constant_time(raw, expected)) throw FIX::RejectLogon("bad signature");
    if (field(m, FIX::FIELD::DefaultApplVerID) != "9") throw FIX::RejectLogon("DefaultApplVerID (1137) must be 9");
    const std::string cod = field(m, kCancelOrdersOnDisconnect);
    if (cod != "Y" && cod != "S" && cod != "N")
      throw FIX::RejectLogon("CancelOrdersOnDisconnect (8013) must be Y, S or N");
    const std::string stp = field(m, kDefaultSelfTradePrevention);
    if (!stp.empty() && stp != "N" && stp != "Q")
      throw FIX::RejectLogon("DefaultSelfTradePreventionStrategy (8001) must be N or Q");
    const std::string drop = field(m, kDropCopyFlag);
    if (!drop.empty() && drop != "Y" && drop != "N") throw FIX::RejectLogon("DropCopyFlag (9406) must be Y or N");
    if (opt_.reset == "never" && field(m, FIX::FIELD::ResetSeqNumFlag) == "Y")
      throw FIX::RejectLogon("ResetSeqNumFlag (141) Y refused: resume with 141=N");
    std::lock_guard<std::mutex> lock(mu_);
    cancel_on_disconnect_ = cod != "N";
  }

  FIX::Message report(const Order& o, char exec_type) {
    FIX::Message r;
    r.getHeader().setField(FIX::FIELD::MsgType, "8");
    r.setField(FIX::FIELD::OrderID, o.order_id);
    r.setField(FIX::FIELD::ClOrdID, o.cl_ord_id);
    r.setField(FIX::FIELD::ExecID, ids_.uuid4());
    r.setField(FIX::FIELD::ExecType, std::string(1, exec_type));
    r.setField(FIX::FIELD::OrdStatus, std::string(1, o.status));
    r.setField(FIX::FIELD::Symbol, o.symbol);
    r.setField(FIX::FIELD::Side, std::string(1, o.side));
    r.setField(FIX::FIELD::OrdType, "2");
    r.setField(FIX::FIELD::Price, format_decimal(o.price));
    r.setField(FIX::FIELD::OrderQty, format_decimal(o.qty));
    r.setField(FIX::FIELD::TimeInForce, std::string(1, o.tif));
    r.setField(FIX::FIELD::CumQty, format_decimal(o.cum));
    r.setField(FIX::FIELD::LeavesQty, format_decimal(o.leaves()));
    r.setField(FIX::FIELD::AvgPx, format_decimal(o.avg_px()));
    r.setField(FIX::TransactTime(FIX::UtcTimeStamp(), 3));
    return r;
  }

  // `m` is a NewOrderSingle or one NoOrders entry of a NewOrderBatch.
  void reject(const FIX::FieldMap& m, const FIX::SessionID& sid, const std::string& reason, int code) {
    FIX::Message r;
    r.getHeader().setField(FIX::FIELD::MsgType, "8");
    r.setField(FIX::FIELD::OrderID, "NONE");
    r.setField(FIX::FIELD::ClOrdID, field(m, FIX::FIELD::ClOrdID));
    r.setField(FIX::FIELD::ExecID, ids_.uuid4());
    r.setField(FIX::FIELD::ExecType, "8");
    r.setField(FIX::FIELD::OrdStatus, "8");
    for (int tag : {FIX::FIELD::Symbol, FIX::FIELD::Side, FIX::FIELD::OrderQty, FIX::FIELD::Price})
      if (m.isSetField(tag)) r.setField(tag, m.getField(tag));
    r.setField(FIX::FIELD::CumQty, "0");
    r.setField(FIX::FIELD::LeavesQty, "0");
    r.setField(FIX::FIELD::AvgPx, "0");
    r.setField(FIX::FIELD::OrdRejReason, std::to_string(code));
    r.setField(FIX::FIELD::Text, reason);
    r.setField(FIX::TransactTime(FIX::UtcTimeStamp(), 3));
    FIX::Session::sendToTarget(r, sid);
  }

  // The checks a NewOrderSingle gets, on a D or on one NoOrders entry of a
  // U6. Fills `o` and returns true, or returns false with the reason and
  // OrdRejReason (103): 0 broker option, 1 unknown symbol, 5 unknown order,
  // 6 duplicate order, 99 other (FIX 5.0 SP2 field 103). Price (44) and
  // OrderQty (38) are read with getField: when missing they throw
  // FieldNotFound, which QuickFIX answers on a D with a BusinessMessageReject.
  bool validate(const FIX::FieldMap& m, Order& o, std::string& reason, int& code) {
    o.cl_ord_id = m.getField(FIX::FIELD::ClOrdID);
    o.symbol = m.getField(FIX::FIELD::Symbol);
    const std::string side = m.getField(FIX::FIELD::Side);
    const std::string ord_type = m.getField(FIX::FIELD::OrdType);
    const std::string tif = m.getField(FIX::FIELD::TimeInForce);
    const std::string stt = field(m, kSelfTradeType);
    auto no = [&](const std::string& why, int c) {
      reason = why;
      code = c;
      return false;
    };
    if (!is_lowercase_uuid4(o.cl_ord_id)) return no("ClOrdID must be a lowercase UUIDv4", 0);
    if (orders_.count(o.cl_ord_id)) return no("duplicate ClOrdID", 6);
    if (o.symbol != opt_.symbol) return no("unknown product " + o.symbol, 1);
    if (side != "1" && side != "2") return no("Side (54) must be 1 or 2", 0);
    if (ord_type != "2") return no("only limit orders (40=2) are modelled", 0);
    if (tif != "1" && tif != "3" && tif != "4") return no("TimeInForce (59) must be 1, 3 or 4", 0);
    if (!stt.empty() && stt != "D" && stt != "O" && stt != "N" && stt != "B")
      return no("SelfTradeType (7928) must be D, O, N or B", 0);
    if (!parse_decimal(m.getField(FIX::FIELD::Price), o.price) || o.price == 0)
      return no("Price (44) must be a positive decimal", 0);
    if (!parse_decimal(m.getField(FIX::FIELD::OrderQty), o.qty) || o.qty == 0)
      return no("OrderQty (38) must be a positive decimal", 0);
    const int64_t mid = (opt_.bid + opt_.ask) / 2;
    const int64_t band = mid / 10;
    if (o.price > mid + band || o.price < mid - band) return no("price more than 10% away from the mid", 0);
    o.side = side[0];
    o.tif = tif[0];
    return true;
  }

  void new_order(const FIX::Message& m, const FIX::SessionID& sid) {
    Order o;
    std::string reason;
    int code = 0;
    if (!validate(m, o, reason, code)) return reject(m, sid, reason, code);
    execute(o, sid);
  }

  // NewOrderBatch (U6): 8014 BatchID and the NoOrders (73) group, each entry
  // a NewOrderSingle's fields. Coinbase's order-entry page: all orders of a
  // batch share one symbol; a NewOrderBatchReject (U7, 8014 and 58) answers
  // a batch whose orders are all rejected, and when only some are, each of
  // those gets its own ExecutionReport reject. So here:
  // - a fault of the batch itself (BatchID not a lowercase UUIDv4, other
  //   than 1 to 15 entries, two symbols, a ClOrdID twice in the batch) or
  //   every entry failing the NewOrderSingle checks: U7 only, naming the
  //   cause (and the first entry's ClOrdID when the entries failed), and
  //   no entry is handled;
  // - otherwise the entries are handled in order, each exactly as a D: an
  //   entry failing the checks gets 150=8, the others 150=0 and their fills
  //   or expiry.
  void new_order_batch(const FIX::Message& m, const FIX::SessionID& sid) {
    const std::string batch_id = m.getField(kBatchId);
    auto refuse = [&](const std::string& why) {
      FIX::Message r;
      r.getHeader().setField(FIX::FIELD::MsgType, "U7");
      r.setField(kBatchId, batch_id);
      r.setField(FIX::FIELD::Text, why);
      FIX::Session::sendToTarget(r, sid);
    };
    if (!is_lowercase_uuid4(batch_id)) return refuse("BatchID (8014) must be a lowercase UUIDv4");
    const int n = static_cast<int>(m.groupCount(FIX::FIELD::NoOrders));
    if (n < 1 || n > kMaxBatchOrders)
      return refuse("NoOrders (73) must be 1 to " + std::to_string(kMaxBatchOrders) + ", got " + std::to_string(n));
    std::vector<FIX::Group> entries;
    std::set<std::string> seen;
    for (int i = 1; i <= n; ++i) {
      FIX::Group g(FIX::FIELD::NoOrders, FIX::FIELD::ClOrdID);
      m.getGroup(static_cast<unsigned>(i), g);
      const std::string cl = field(g, FIX::FIELD::ClOrdID);
      if (!seen.insert(cl).second) return refuse("ClOrdID " + cl + " appears twice in the batch");
      const std::string sym = field(g, FIX::FIELD::Symbol);
      const std::string first = field(entries.empty() ? g : entries.front(), FIX::FIELD::Symbol);
      if (sym != first)
        return refuse("all orders of a batch must have one Symbol (55): " + first + " and " + sym + " (ClOrdID " +
                      cl + ")");
      entries.push_back(g);
    }
    std::vector<Order> orders(entries.size());
    std::vector<std::string> reasons(entries.size());
    std::vector<int> codes(entries.size(), 0);
    size_t valid = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      try {
        if (validate(entries[i], orders[i], reasons[i], codes[i])) ++valid;
      } catch (const FIX::FieldNotFound& e) {
        reasons[i] = "required tag (" + std::to_string(e.field) + ") missing";
      }
    }
    if (valid == 0)
      return refuse("every order of the batch is rejected; ClOrdID " + field(entries[0], FIX::FIELD::ClOrdID) +
                    ": " + reasons[0]);
    for (size_t i = 0; i < entries.size(); ++i) {
      if (reasons[i].empty())
        execute(orders[i], sid);
      else
        reject(entries[i], sid, reasons[i], codes[i]);
    }
  }

  // A validated order: 150=0, then its fills and expiry against the book.
  void execute(Order o, const FIX::SessionID& sid) {
    o.order_id = ids_.uuid4();

    const bool buy = o.side == '1';
    const int64_t touch = buy ? opt_.ask : opt_.bid;
    int64_t& depth = buy ? ask_left_ : bid_left_;
    const bool marketable = buy ? o.price >= touch : o.price <= touch;
    const int64_t fillable = marketable ? std::min(o.qty, depth) : 0;

    o.status = '0';
    FIX::Message ack = report(o, '0');
    FIX::Session::sendToTarget(ack, sid);

    if (o.tif == '4' && fillable < o.qty) {
      o.status = 'C';
      FIX::Message done = report(o, 'C');
      done.setField(FIX::FIELD::Text, "FOK not fillable in full");
      FIX::Session::sendToTarget(done, sid);
      orders_[o.cl_ord_id] = o;
      return;
    }
    if (fillable > 0) fill(o, touch, fillable, depth, sid);
    if (o.tif == '3' && o.cum < o.qty) {
      o.status = 'C';
      FIX::Message done = report(o, 'C');
      FIX::Session::sendToTarget(done, sid);
    }
    orders_[o.cl_ord_id] = o;
  }

  void fill(Order& o, int64_t px, int64_t qty, int64_t& depth, const FIX::SessionID& sid) {
    depth -= qty;
    o.cum += qty;
    o.notional += static_cast<__int128>(px) * qty;
    o.status = o.cum == o.qty ? '2' : '1';
    const std::string trade_id = ids_.next_trade_id();
    const int64_t fee = mul(mul(px, qty), opt_.fee_bps * kScale / 10000);

    // The journal line is written and flushed before the report leaves, so a
    // client that has read the fill can read its journal line.
    journal_ << "{\"cl_ord_id\":\"" << o.cl_ord_id << "\",\"order_id\":\"" << o.order_id << "\",\"trade_id\":\""
             << trade_id << "\",\"side\":\"" << (o.side == '1' ? "buy" : "sell") << "\",\"price\":\""
             << format_decimal(px) << "\",\"qty\":\"" << format_decimal(qty) << "\",\"fee\":\"" << format_decimal(fee)
             << "\",\"fee_currency\":\"" << fee_currency_ << "\"}\n";
    journal_.flush();

    FIX::Message r = report(o, 'F');
    r.setField(FIX::FIELD::LastPx, format_decimal(px));
    r.setField(FIX::FIELD::LastQty, format_decimal(qty));
    r.setField(kTradeId, trade_id);
    r.setField(kAggressorIndicator, "Y");
    FIX::Group fees(FIX::FIELD::NoMiscFees, FIX::FIELD::MiscFeeAmt);
    fees.setField(FIX::FIELD::MiscFeeAmt, format_decimal(fee));
    fees.setField(FIX::FIELD::MiscFeeCurr, fee_currency_);
    fees.setField(FIX::FIELD::MiscFeeType, "4");  // 4 = Exchange fees
    r.addGroup(fees);
    FIX::Session::sendToTarget(r, sid);
  }

  void cancel(const FIX::Message& m, const FIX::SessionID& sid) {
    const std::string orig = m.getField(FIX::FIELD::OrigClOrdID);
    const std::string cl = field(m, FIX::FIELD::ClOrdID);
    auto it = orders_.find(orig);
    if (it == orders_.end() || it->second.leaves() == 0) {
      FIX::Message r;
      r.getHeader().setField(FIX::FIELD::MsgType, "9");
      r.setField(FIX::FIELD::OrderID, it == orders_.end() ? "NONE" : it->second.order_id);
      r.setField(FIX::FIELD::ClOrdID, cl.empty() ? orig : cl);
      r.setField(FIX::FIELD::OrigClOrdID, orig);
      r.setField(FIX::FIELD::OrdStatus, it == orders_.end() ? "8" : std::string(1, it->second.status));
      r.setField(FIX::FIELD::CxlRejResponseTo, "1");
      // CxlRejReason (102): 0 too late to cancel, 1 unknown order.
      r.setField(FIX::FIELD::CxlRejReason, it == orders_.end() ? "1" : "0");
      r.setField(FIX::FIELD::Text, it == orders_.end() ? "unknown order" : "order already closed");
      FIX::Session::sendToTarget(r, sid);
      return;
    }
    Order& o = it->second;
    o.status = '4';
    FIX::Message r = report(o, '4');
    r.setField(FIX::FIELD::ClOrdID, cl.empty() ? orig : cl);
    r.setField(FIX::FIELD::OrigClOrdID, orig);
    FIX::Session::sendToTarget(r, sid);
  }

  // OrderMassCancelRequest (q): Coinbase takes only MassCancelRequestType
  // (530) 6, the orders of the trading session (this peer has one session:
  // every open order). Each gets its ExecutionReport (150=4), then an
  // OrderMassCancelReport (r) echoing 11 and 530 with MassCancelResponse
  // (531) 6; another 530 gets 531=0 and a Text. Coinbase's order-entry
  // page, OrderMassCancelRequest and OrderMassCancelReport.
  void mass_cancel(const FIX::Message& m, const FIX::SessionID& sid) {
    const std::string type = m.getField(FIX::FIELD::MassCancelRequestType);
    FIX::Message r;
    r.getHeader().setField(FIX::FIELD::MsgType, "r");
    r.setField(FIX::FIELD::ClOrdID, m.getField(FIX::FIELD::ClOrdID));
    r.setField(FIX::FIELD::MassCancelRequestType, type);
    if (type != "6") {
      r.setField(FIX::FIELD::MassCancelResponse, "0");
      r.setField(FIX::FIELD::Text, "only MassCancelRequestType 6 (trading session) is supported");
      FIX::Session::sendToTarget(r, sid);
      return;
    }
    for (auto& kv : orders_) {
      Order& o = kv.second;
      if (o.leaves() == 0) continue;
      o.status = '4';
      FIX::Message c = report(o, '4');
      FIX::Session::sendToTarget(c, sid);
    }
    r.setField(FIX::FIELD::MassCancelResponse, "6");
    FIX::Session::sendToTarget(r, sid);
  }

  void status(const FIX::Message& m, const FIX::SessionID& sid) {
    const std::string cl = m.getField(FIX::FIELD::ClOrdID);
    auto it = orders_.find(cl);
    FIX::Message r;
    if (it == orders_.end()) {
      // FIX 5.0 SP2 OrderStatusRequest: an unknown order is answered with
      // ExecType I and OrdStatus 8.
      Order unknown;
      unknown.cl_ord_id = cl;
      unknown.order_id = "NONE";
      unknown.symbol = field(m, FIX::FIELD::Symbol);
      unknown.side = m.isSetField(FIX::FIELD::Side) ? m.getField(FIX::FIELD::Side)[0] : '1';
      unknown.price = 0;
      unknown.qty = 0;
      unknown.tif = '1';
      unknown.status = '8';
      r = report(unknown, 'I');
      r.setField(FIX::FIELD::Text, "unknown order");
    } else {
      r = report(it->second, 'I');
    }
    if (m.isSetField(FIX::FIELD::OrdStatusReqID))
      r.setField(FIX::FIELD::OrdStatusReqID, m.getField(FIX::FIELD::OrdStatusReqID));
    FIX::Session::sendToTarget(r, sid);
  }

  Options opt_;
  std::mutex mu_;
  Ids ids_;
  std::ofstream journal_;
  std::string fee_currency_;
  std::map<std::string, Order> orders_;
  int64_t ask_left_;
  int64_t bid_left_;
  bool cancel_on_disconnect_ = false;
  std::atomic<int64_t> orders_seen_{0};
};

// QuickFIX binds its own listening socket and does not report the port it
// got for SocketAcceptPort=0; find it among this process's descriptors.
int listening_port() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  int port = -1;
  while (dirent* e = readdir(d)) {
    int fd = std::atoi(e->d_name);
    if (fd <= 2) continue;
    int accepting = 0;
    socklen_t len = sizeof accepting;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || !accepting) continue;
    sockaddr_in addr{};
    socklen_t alen = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) == 0 && addr.sin_family == AF_INET)
      port = ntohs(addr.sin_port);
  }
  closedir(d);
  return port;
}

int selftest() {
  const std::string sig = logon_signature("c2VjcmV0", "20230822-20:43:30.000", "A", "1", "key123", "Coinbase", "pass");
  const std::string want = "S39jvQ4fgGiMtrpMl8QiKq+LmZnwuEI5B5h8+1yloWw=";
  std::cout << "SELFTEST " << (sig == want ? "ok " : "FAILED ") << sig << std::endl;
  return sig == want ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--selftest") return selftest();
  const Options opt = parse_options(argc, argv);

  // Blocked before QuickFIX starts its threads, so they inherit the mask and
  // only sigwait below sees SIGTERM/SIGINT.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  char exe[4096];
  const ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (exe_len <= 0) usage("cannot read /proc/self/exe");
  std::string spec(exe, static_cast<size_t>(exe_len));
  spec = spec.substr(0, spec.rfind('/')) + "/spec";

  std::ostringstream cfg;
  cfg << "[DEFAULT]\n"
      << "ConnectionType=acceptor\n"
      << "SocketAcceptPort=" << opt.port << "\n"
      << "SocketReuseAddress=Y\n"
      << "SocketNodelay=Y\n"
      << "StartTime=00:00:00\nEndTime=00:00:00\n"
      << "FileStorePath=store\nFileLogPath=log\n"
      // The dictionaries in spec/ (copied next to the binary by build.sh)
      // make QuickFIX reject malformed or unknown fields with a session
      // Reject (35=3) before the application sees the message.
      << "UseDataDictionary=Y\n"
      << "TransportDataDictionary=" << spec << "/FIXT11-coinbase.xml\n"
      << "AppDataDictionary=" << spec << "/FIX50SP2-coinbase.xml\n"
      << "ValidateUserDefinedFields=Y\nAllowUnknownMsgFields=N\n"
      << "ResetOnLogon=" << (opt.reset == "logon" ? "Y" : "N") << "\n"
      << "ResetOnDisconnect=N\nResetOnLogout=N\n"
      << "MillisecondsInTimeStamp=Y\n"
      << "[SESSION]\n"
      << "BeginString=FIXT.1.1\n"
      << "DefaultApplVerID=9\n"
      << "SenderCompID=Coinbase\n"
      << "TargetCompID=" << opt.key << "\n";
  try {
    std::istringstream in(cfg.str());
    FIX::SessionSettings settings(in);
    Gateway app(opt);
    FIX::FileStoreFactory store(settings);
    FIX::FileLogFactory log(settings);
    FIX::SocketAcceptor acceptor(app, store, settings, log);
    acceptor.start();
    const int port = listening_port();
    if (port <= 0) {
      std::cerr << "fix-acceptor: no listening socket found\n";
      return 1;
    }
    std::cout << "LISTENING " << port << std::endl;
    int sig = 0;
    sigwait(&stop, &sig);
    acceptor.stop();
  } catch (const std::exception& e) {
    std::cerr << "fix-acceptor: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
